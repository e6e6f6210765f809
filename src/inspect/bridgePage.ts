/** By default at most this many events wait in the page for the hosted inspector's handshake; older ones are dropped. */
export const PAGE_BUFFER_LIMIT = 2000;

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/**
 * The page a user opens: the Stately inspector in an iframe, fed from this relay's WebSocket
 * (same host and port as the page, so an SSH tunnel to the relay is all a remote server needs).
 * The inspector itself is hosted (stately.ai): without internet its handshake never comes, so the
 * events waiting for it are bounded, and the page says what is missing and how much was dropped.
 */
export function bridgePage(inspectorUrl: string, bufferLimit = PAGE_BUFFER_LIMIT): string {
  const src = JSON.stringify(inspectorUrl).replace(/</g, '\\u003c');
  return `<!DOCTYPE html>
<html>
<head>
  <meta charset="utf-8">
  <title>ECL · Stately inspector</title>
  <style>* { margin: 0; padding: 0; } html, body { height: 100%; } iframe { width: 100%; height: 100%; border: none; }
  #notice { font: 14px sans-serif; padding: 8px 12px; background: #fff3cd; color: #333; }</style>
</head>
<body>
  <p id="notice">Waiting for the Stately inspector: the page is hosted at ${escapeHtml(inspectorUrl)} and needs internet access.</p>
  <iframe id="inspector"></iframe>
  <script>
    const LIMIT = ${String(bufferLimit)};
    const iframe = document.getElementById('inspector');
    const notice = document.getElementById('notice');
    iframe.src = ${src};
    const buffer = [];
    let dropped = 0;
    let connected = false;
    window.addEventListener('message', (event) => {
      if (event.data && event.data.type === '@statelyai.connected') {
        connected = true;
        notice.textContent = dropped === 0 ? '' : dropped + ' older events were dropped while the inspector was not connected.';
        if (dropped === 0) notice.remove();
        for (const item of buffer.splice(0)) iframe.contentWindow.postMessage(item, '*');
      }
    });
    const socket = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws');
    socket.onmessage = (message) => {
      const data = JSON.parse(message.data);
      if (connected) return iframe.contentWindow.postMessage(data, '*');
      buffer.push(data);
      if (buffer.length > LIMIT) {
        buffer.shift();
        dropped += 1;
        notice.textContent = 'Waiting for the Stately inspector (hosted, needs internet access): kept the latest ' + LIMIT + ' events, dropped ' + dropped + ' older ones.';
      }
    };
  </script>
</body>
</html>`;
}
