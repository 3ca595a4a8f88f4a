// How the dataset recipes start headless Chromium (one list for the generator and the webwin family): no network
// chatter on this machine's closed network, no scrollbars, hinting off so renders are stable across runs.
export const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--hide-scrollbars',
  '--font-render-hinting=none'];
