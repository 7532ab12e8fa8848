import { test, expect, shot } from './fixtures';
import { OWNER, USERS } from './env';
import { nav, signIn, signOut } from './pages';

test.describe('sign in', () => {
  test.use({ who: null });

  test('an unauthenticated visit goes to /login and comes back after signing in', async ({ page }) => {
    await page.goto('/clients');
    await expect(page).toHaveURL(/\/login\?next=%2Fclients/);
    await expect(page.getByRole('heading', { name: 'Sign in to Scopekeeper' })).toBeVisible();
    await shot(page, 'auth-01-login');

    // Empty form.
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert')).toContainText('Enter your email and password');

    // Wrong password.
    await signIn(page, OWNER.email, 'wrong password');
    await expect(page.getByRole('alert')).toContainText('The email or password is wrong');
    await shot(page, 'auth-02-login-error');

    await signIn(page, OWNER.email, OWNER.password);
    await expect(page).toHaveURL(/\/clients$/);
    await expect(page.getByTestId('organisation-name')).toHaveText('Acme');
    await expect(page.getByTestId('viewer-role')).toHaveText('Owner');
    await shot(page, 'auth-03-signed-in');

    await signOut(page);
    await page.goto('/apis');
    await expect(page).toHaveURL(/\/login/);
  });

  test('the keyboard alone signs in', async ({ page }) => {
    await page.goto('/login');
    await page.keyboard.type(USERS.access.email); // Email has focus
    await page.keyboard.press('Tab');
    await page.keyboard.type(USERS.access.password);
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(/\/apis$/);
    await expect(page.getByTestId('viewer-role')).toHaveText('Access control');
  });

  test('next= pointing at a server path is followed with a full page load', async ({ page }) => {
    // The authorize endpoint itself sends people without a session to /login?next=….
    const next = '/o/acme/.well-known/openid-configuration';
    await page.goto(`/login?next=${encodeURIComponent(next)}`);
    await signIn(page, OWNER.email, OWNER.password);
    await expect(page).toHaveURL(new RegExp(`${next.replace(/\./g, '\\.')}$`));
    const body = await page.locator('body').innerText();
    expect(JSON.parse(body).issuer).toMatch(/\/o\/acme$/);
  });

  test('next= pointing elsewhere is refused', async ({ page }) => {
    await page.goto(`/login?next=${encodeURIComponent('//evil.example/')}`);
    await signIn(page, OWNER.email, OWNER.password);
    await expect(page).toHaveURL(/\/apis$/);
  });
});

test.describe('roles', () => {
  test.use({ who: 'member' });

  test('a member sees only the API keys page', async ({ page }) => {
    await page.goto('/');
    await expect(page).toHaveURL(/\/api-keys$/);
    await expect(page.getByTestId('viewer-role')).toHaveText('Member');
    await expect(nav(page).getByRole('link')).toHaveText(['API keys']);
    await page.goto('/apis');
    await expect(page.getByRole('heading', { name: 'No access' })).toBeVisible();
    await shot(page, 'auth-04-member-no-access');
  });
});
