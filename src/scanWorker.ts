// Starts the scan worker from its own bundle. Kept apart from the model because
// `import.meta` is not available where the model is unit tested.
export function createScanWorker(): Worker {
  return new Worker(new URL('./scan/scan.worker.js', import.meta.url));
}
