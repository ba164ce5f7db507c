// The Web Worker that decodes large captures off the page's thread (web/src/worker.rs). The page
// starts it as a module worker of its own origin and sends it [the URL of the page's
// wasm-bindgen script, the page's compiled WebAssembly.Module]; it instantiates that same module,
// whose `main` finds no `window` and takes over the worker's messages (it answers "Ready").
// Nothing is fetched but the page's own script; trunk copies this file into dist/ as is.
self.onmessage = async ({ data }) => {
  self.onmessage = null;
  try {
    const [glue, module] = data;
    const { default: init } = await import(glue);
    await init({ module_or_path: module });
  } catch (e) {
    self.postMessage(JSON.stringify({ Unavailable: `the worker could not load the decoder: ${e}` }));
  }
};
