import { notifications } from '@mantine/notifications';

/** Announces a completed action ("Scope forums.threads.readonly added") in a toast read out politely. */
export function notifyDone(message: string) {
  notifications.show({ message, color: 'teal', role: 'status', autoClose: 5000, closeButtonProps: { 'aria-label': 'Dismiss' } });
}

/** Announces a failed action that has no form of its own to show the error in. */
export function notifyFailed(message: string) {
  notifications.show({ message, color: 'red', role: 'alert', autoClose: 10000, closeButtonProps: { 'aria-label': 'Dismiss' } });
}
