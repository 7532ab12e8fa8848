import { describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, within } from '@testing-library/react';
import { ConsentScreen } from './ConsentScreen';
import { renderUI } from '../../test/render';

const scopes = [
  { name: 'profile', displayName: 'Read your profile', description: '', emphasize: false, required: true },
  { name: 'forums.threads.readonly', displayName: 'Read threads', description: '', emphasize: false, required: false },
  { name: 'forums.threads.modify', displayName: 'Post threads', description: 'Create and edit', emphasize: true, required: false },
];

describe('ConsentScreen', () => {
  it('lists emphasized scopes first and locks required ones', () => {
    renderUI(<ConsentScreen clientName="Forum app" scopes={scopes} onDecide={() => undefined} />);
    const items = within(screen.getByRole('list', { name: 'Requested scopes' })).getAllByRole('listitem');
    expect(items[0].textContent).toMatch(/Post threads/);
    expect(items[0].getAttribute('data-emphasized')).toBe('true');
    const required = screen.getByRole('checkbox', { name: 'Read your profile' }) as HTMLInputElement;
    expect(required.checked).toBe(true);
    expect(required.disabled).toBe(true);
  });

  it('sends the optional scopes the user kept', () => {
    const onDecide = vi.fn();
    renderUI(<ConsentScreen clientName="Forum app" scopes={scopes} onDecide={onDecide} />);
    fireEvent.click(screen.getByRole('checkbox', { name: 'Read threads' }));
    fireEvent.click(screen.getByRole('button', { name: 'Allow' }));
    expect(onDecide).toHaveBeenCalledWith(true, ['forums.threads.modify']);
  });

  it('sends nothing from the preview', () => {
    renderUI(<ConsentScreen preview clientName="Forum app" scopes={scopes} />);
    expect((screen.getByRole('button', { name: 'Allow' }) as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByText(/Nothing is sent from here/)).toBeTruthy();
  });
});
