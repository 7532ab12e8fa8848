import { test, expect, PHONE, shot } from './fixtures';
import { USERS } from './env';
import { nav, signIn } from './pages';

test('"Skip to content" is the first stop of the keyboard and lands in the page', async ({ page }) => {
  await page.goto('/apis');
  await expect(page.getByRole('heading', { name: 'APIs', level: 1 })).toBeVisible();
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Skip to content' });
  await expect(skip).toBeFocused();
  await expect(skip).toBeInViewport();
  await page.keyboard.press('Enter');
  await expect(page.locator('#main')).toBeFocused();
});

test.describe('on a phone', () => {
  test.use({ viewport: PHONE });

  test('the burger opens the navigation; choosing a page closes it', async ({ page }) => {
    await page.goto('/apis');
    await expect(nav(page)).not.toBeInViewport();
    const burger = page.getByRole('button', { name: 'Open navigation' });
    await expect(burger).toHaveAttribute('aria-expanded', 'false');
    await burger.click();
    await expect(page.getByRole('button', { name: 'Close navigation' })).toHaveAttribute('aria-expanded', 'true');
    await expect(nav(page).getByRole('link', { name: 'Audit log' })).toBeInViewport();
    await expect(nav(page).getByRole('button', { name: 'Sign out' })).toBeInViewport();
    await shot(page, 'shell-phone-drawer');
    await nav(page).getByRole('link', { name: 'API clients' }).click();
    await expect(page).toHaveURL(/\/clients$/);
    await expect(nav(page)).not.toBeInViewport();
    // Nothing scrolls sideways.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
  });

  test('change password from the drawer', async ({ page }) => {
    await page.goto('/api-keys');
    await page.getByRole('button', { name: 'Open navigation' }).click();
    await nav(page).getByRole('button', { name: 'Change password' }).click();
    const d = page.getByRole('dialog', { name: 'Change password' });
    await expect(d).toBeVisible();
    await expect(nav(page)).not.toBeInViewport();
    await d.getByRole('button', { name: 'Close', exact: true }).click();
    await expect(d).toHaveCount(0);
  });

  test.describe('signed in afresh', () => {
    test.use({ who: null });
    test('sign out from the drawer', async ({ page }) => {
      await page.goto('/login');
      await signIn(page, USERS.viewer.email, USERS.viewer.password);
      await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
      await page.getByRole('button', { name: 'Open navigation' }).click();
      await nav(page).getByRole('button', { name: 'Sign out' }).click();
      await expect(page).toHaveURL(/\/login/);
    });
  });
});
