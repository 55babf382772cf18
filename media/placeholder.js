// @ts-check
// The report panel when there is no report to show: one button, no data.
(function () {
  // eslint-disable-next-line no-undef
  const vscode = acquireVsCodeApi();
  const open = document.getElementById('open');
  if (open) open.addEventListener('click', () => vscode.postMessage({ type: 'openSynthetic' }));
})();
