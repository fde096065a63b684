// Jest setup: ArrayBuffer.prototype.transfer as Chromium has it (the buffer it is called on is
// detached and reads as empty after), for the Node that runs jest, which may not have it.
// The scan gives its largest buffers back with it (scan/pairs.ts freeNow); a test must see the
// browser's behaviour, so that reading a buffer after giving it back fails here as it would
// there, instead of passing on an engine where freeNow does nothing.
if (typeof ArrayBuffer.prototype.transfer !== 'function') {
  const { MessageChannel } = require('worker_threads');
  Object.defineProperty(ArrayBuffer.prototype, 'transfer', {
    configurable: true,
    writable: true,
    value: function transfer(length) {
      const size = length === undefined ? this.byteLength : length;
      const copy = new ArrayBuffer(size);
      new Uint8Array(copy).set(
        new Uint8Array(this, 0, Math.min(size, this.byteLength))
      );
      // Posting with the buffer in the transfer list detaches it, as transfer() does.
      const channel = new MessageChannel();
      channel.port1.postMessage(null, [this]);
      channel.port1.close();
      channel.port2.close();
      return copy;
    }
  });
}
