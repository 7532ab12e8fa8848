import { test, expect, shot, uniq } from './fixtures';
import { gql } from './env';
import { closedDialog, dialog, signIn, signOut } from './pages';

test('owner sets a password; the user signs in with it and changes it from the header', async ({ page, ownerApi, browser, baseURL }) => {
  // A fresh member, so the shared users in env.ts keep their passwords.
  const email = `${uniq('pat')}@acme.test`;
  const first = 'first password 123';
  const set = 'set by the owner 456';
  const changed = 'changed by pat 789';
  const created = await gql(ownerApi, `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`, {
    input: { email, displayName: 'Pat Password', password: first, role: 'MEMBER' },
  });
  const userId = created.data.createUser.id as string;
  const ctx = await browser.newContext({ baseURL, storageState: { cookies: [], origins: [] } });
  try {
    // The owner sets the password from the Users page (not for themselves).
    await page.goto('/users');
    await page.getByLabel('Search users').fill(email);
    await expect(page.getByRole('table', { name: 'Users' })).toContainText(email);
    await page.getByLabel('Search users').fill('owner@acme.test');
    await expect(page.getByRole('table', { name: 'Users' })).toContainText('owner@acme.test');
    await expect(page.getByRole('button', { name: 'Set password for owner@acme.test' })).toHaveCount(0);
    await page.getByLabel('Search users').fill(email);
    await page.getByRole('button', { name: `Set password for ${email}` }).click();
    const sp = dialog(page, 'Set password');
    await expect(sp.getByLabel('New password')).toBeFocused();
    await sp.getByLabel('New password').fill('short');
    await sp.getByRole('button', { name: 'Save' }).click();
    await expect(sp.getByLabel('New password')).toHaveAccessibleDescription(/needs at least 12 characters/);
    await expect(sp.getByLabel('New password')).toHaveAttribute('aria-invalid', 'true');
    await shot(page, 'passwords-01-set-too-short');
    await sp.getByLabel('New password').fill(set);
    await shot(page, 'passwords-02-set-password');
    await sp.getByRole('button', { name: 'Save' }).click();
    await closedDialog(page, 'Set password');
    await expect(page.getByRole('status').filter({ hasText: `Password set for ${email}` })).toBeVisible();
    await shot(page, 'passwords-03-set-done');

    // The user signs in with it (the old one no longer works).
    const user = await ctx.newPage();
    await user.goto('/login');
    await signIn(user, email, first);
    await expect(user.getByRole('alert')).toContainText('The email or password is wrong');
    await signIn(user, email, set);
    await expect(user.getByTestId('viewer-role')).toHaveText('Member');

    // …and changes it from the header, with the keyboard.
    await user.getByRole('button', { name: 'Change password' }).click();
    const cp = dialog(user, 'Change password');
    await expect(cp.getByLabel('Current password')).toBeFocused();
    await user.keyboard.type('not my password');
    await user.keyboard.press('Tab'); // the show-password toggle is not a tab stop
    await expect(cp.getByLabel('New password')).toBeFocused();
    await user.keyboard.type(changed);
    await user.keyboard.press('Enter');
    await expect(cp.getByLabel('Current password')).toHaveAccessibleDescription(/not right/);
    await expect(cp.getByLabel('Current password')).toHaveAttribute('aria-invalid', 'true');
    await shot(user, 'passwords-04-wrong-current');

    await cp.getByLabel('Current password').fill(set);
    await cp.getByLabel('New password').fill(changed);
    await user.keyboard.press('Enter');
    await expect(cp.getByRole('status')).toContainText('Your password has been changed');
    await expect(cp.getByLabel('Current password')).toHaveValue('');
    await shot(user, 'passwords-05-changed');
    await user.keyboard.press('Escape');
    await closedDialog(user, 'Change password');
    // This session is still signed in.
    await user.reload();
    await expect(user.getByTestId('viewer-email')).toHaveText(email);

    // Signing in again needs the new password.
    await signOut(user);
    await signIn(user, email, set);
    await expect(user.getByRole('alert')).toContainText('The email or password is wrong');
    await signIn(user, email, changed);
    await expect(user.getByTestId('viewer-role')).toHaveText('Member');
    await shot(user, 'passwords-06-signed-in-again');
  } finally {
    await ctx.close();
    await gql(ownerApi, `mutation($id: ID!) { deleteUser(id: $id) }`, { id: userId });
  }
});
