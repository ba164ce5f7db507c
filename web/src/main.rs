//! The page's entry point: trunk builds this for wasm32 (see index.html); natively it is empty,
//! so the workspace builds everywhere.

#[cfg(target_arch = "wasm32")]
fn main() {
    // The same binary is the decoding worker of large captures (web/worker.js): no window.
    if web_sys::window().is_none() {
        mtlskit_web::worker::run();
        return;
    }
    mtlskit_web::ui::install_panic_hook();
    yew::Renderer::<mtlskit_web::ui::App>::new().render();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {}
