//! The last line of defence: a panic shows an error card instead of leaving a dead page.
//!
//! Nothing in the page should panic on any input (the reducer is tested on cut inputs, the
//! inspect crate is fuzzed); if something still does, the wasm instance is gone, so the hook
//! writes the card with plain DOM calls and asks for a reload.

use wasm_bindgen::JsValue;

/// Makes a panic show an error card that asks for a reload (and log to the console),
/// instead of leaving a page that no longer answers.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = info.to_string();
        web_sys::console::error_1(&JsValue::from_str(&message));
        show(&message);
    }));
}

fn show(message: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let (Ok(card), Some(body)) = (document.create_element("div"), document.body()) else {
        return;
    };
    card.set_id("panic");
    card.set_class_name("card failed");
    card.set_attribute("role", "alert").ok();
    card.set_text_content(Some(&format!(
        "The page hit an internal error and stopped: {message}. Your files were not sent \
         anywhere. Reload the page to start again."
    )));
    body.prepend_with_node_1(&card).ok();
}
