/**
 * The confirmation dialog for rollout actions: names the action and the rollout, asks for a reason
 * (required: it goes into the audit trail), and resolves with the reason or undefined when cancelled.
 * A modal <dialog> (showModal makes the page behind it inert); Tab and Shift+Tab also cycle inside it
 * explicitly, Escape cancels, and focus returns to the button that opened it.
 */
import { h } from './dom.js';

const FOCUSABLE = 'button:not([disabled]), textarea:not([disabled]), input:not([disabled]), select:not([disabled]), a[href], [tabindex]:not([tabindex="-1"])';

export function trapFocus(root: HTMLElement, e: KeyboardEvent): void {
  if (e.key !== 'Tab') return;
  const items = [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => !el.hidden);
  if (items.length === 0) return;
  const first = items[0]!;
  const lastEl = items[items.length - 1]!;
  const active = document.activeElement;
  if (e.shiftKey && (active === first || !root.contains(active))) {
    e.preventDefault();
    lastEl.focus();
  } else if (!e.shiftKey && (active === lastEl || !root.contains(active))) {
    e.preventDefault();
    first.focus();
  }
}

export interface ConfirmOptions {
  title: string;
  body: string;
  confirmLabel: string;
  danger?: boolean;
}

export function confirmWithReason(o: ConfirmOptions): Promise<string | undefined> {
  const opener = document.activeElement as HTMLElement | null;
  const reason = h('textarea', { id: 'confirm-reason', rows: 3, required: true, maxlength: 500, 'aria-describedby': 'confirm-reason-hint' });
  const error = h('p', { id: 'confirm-error', class: 'error', role: 'alert' });
  const ok = h('button', { type: 'submit', class: o.danger ? 'danger' : 'primary' }, o.confirmLabel);
  const cancel = h('button', { type: 'button', value: 'cancel' }, 'Cancel');
  const form = h(
    'form',
    { method: 'dialog', novalidate: true },
    h('h2', { id: 'confirm-title' }, o.title),
    h('p', { id: 'confirm-body' }, o.body),
    h('label', { for: 'confirm-reason' }, 'Reason (recorded in the audit trail)'),
    reason,
    h('p', { id: 'confirm-reason-hint', class: 'hint' }, 'Say why, for whoever reads the audit trail later.'),
    error,
    h('div', { class: 'dialog-actions' }, cancel, ok),
  );
  const dlg = h('dialog', { 'aria-labelledby': 'confirm-title', 'aria-describedby': 'confirm-body', class: 'confirm' }, form);
  document.body.appendChild(dlg);
  return new Promise((resolve) => {
    let result: string | undefined;
    dlg.addEventListener('keydown', (e) => trapFocus(dlg, e));
    cancel.addEventListener('click', () => dlg.close());
    form.addEventListener('submit', (e) => {
      const text = reason.value.trim();
      if (!text) {
        e.preventDefault();
        error.textContent = 'A reason is required.';
        reason.setAttribute('aria-invalid', 'true');
        reason.focus();
        return;
      }
      result = text;
    });
    dlg.addEventListener('close', () => {
      dlg.remove();
      // a live reload may have replaced the opener while the dialog was open: its successor has its id
      const back = opener?.isConnected ? opener : opener?.id ? document.getElementById(opener.id) : null;
      back?.focus();
      resolve(result);
    });
    dlg.showModal();
    reason.focus();
  });
}
