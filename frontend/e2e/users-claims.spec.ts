import { test, expect, uniq } from './fixtures';
import { gql } from './env';

// The OpenID Connect claims an owner manages on the Users page: username (preferred_username) and
// whether the email is verified (email_verified).
test('owner sets a user’s username and marks their email verified', async ({ page, ownerApi }) => {
  const email = `${uniq('grace')}@acme.test`;
  const { data } = await gql(ownerApi, `mutation($e: String!) { createUser(input: {email: $e, password: "a long enough password", role: MEMBER}) { id } }`, { e: email });
  const id = data.createUser.id;
  await page.goto('/users');
  await page.getByLabel('Search users').fill(email);
  const username = page.getByRole('textbox', { name: `Username of ${email}` });
  await username.fill('grace');
  await username.blur();
  const verified = page.getByRole('checkbox', { name: `Email of ${email} verified` });
  await verified.click(); // saved at once; the box shows the stored value when the list reloads
  await expect(verified).toBeChecked();
  await expect
    .poll(async () => (await gql(ownerApi, `query($id: ID!) { node(id: $id) { ... on User { preferredUsername emailVerified } } }`, { id })).data.node)
    .toEqual({ preferredUsername: 'grace', emailVerified: true });
});
