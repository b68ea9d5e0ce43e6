// The bearer token: kept in localStorage, asked for with a modal dialog when the server answers 401.

const storageKey = 'heroproc.token';
let pendingPrompt = null;

export const storedToken = () => localStorage.getItem(storageKey);

/**
 * Shows the token dialog and resolves once a token was entered. Concurrent callers (every request
 * that got a 401 at the same time) share one dialog and all retry with the new token.
 */
export function askForToken() {
  pendingPrompt ??= new Promise(resolve => {
    const dialog = document.getElementById('token-dialog');
    const form = document.getElementById('token-form');
    const input = document.getElementById('token-input');
    const error = document.getElementById('token-error');
    const hadToken = storedToken() !== null;
    error.textContent = hadToken ? 'The server refused this token. Enter a valid one.' : '';
    input.setAttribute('aria-invalid', String(hadToken));
    input.value = '';
    form.onsubmit = event => {
      event.preventDefault();
      const token = input.value.trim();
      if (!token) {
        error.textContent = 'Enter the token.';
        return;
      }
      localStorage.setItem(storageKey, token);
      dialog.close();
      pendingPrompt = null;
      resolve();
    };
    // Escape would close the dialog and leave every waiting request hanging: the token is required.
    dialog.oncancel = event => event.preventDefault();
    if (!dialog.open) dialog.showModal();
    input.focus();
  });
  return pendingPrompt;
}
