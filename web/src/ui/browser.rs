//! The browser APIs the page uses: the clock, reading files, the clipboard and downloads.
//!
//! Everything here stays in the page: files are read with `Blob.arrayBuffer()`, downloads are
//! `blob:` URLs made from memory. No request leaves the browser.

use js_sys::{Array, Uint8Array};
use mtlskit_inspect::Timestamp;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, BlobPropertyBag, File, FileList, HtmlAnchorElement, Url};

use super::shared::Dispatch;
use crate::moment;
use crate::state::Action;

/// The browser's clock.
pub fn now() -> Timestamp {
    moment::from_millis(js_sys::Date::now())
}

/// The files of a list, taken out at once: the list is live, and emptying the file input (so
/// that picking the same file again is a new input) empties it before an async read runs.
pub fn files_of(list: &FileList) -> Vec<File> {
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}

/// Reads every file: (name, bytes) for those read, and one message per failure.
pub async fn read_files(list: Vec<File>) -> (Vec<(String, Vec<u8>)>, Vec<String>) {
    let mut files = Vec::new();
    let mut failures = Vec::new();
    for file in list {
        match JsFuture::from(file.array_buffer()).await {
            Ok(buffer) => files.push((file.name(), Uint8Array::new(&buffer).to_vec())),
            Err(e) => failures.push(format!(
                "{} could not be read: {}",
                file.name(),
                text_of(&e)
            )),
        }
    }
    (files, failures)
}

/// Copies text to the clipboard; the message says whether it worked.
pub async fn copy(text: String, what: &str) -> String {
    let Some(window) = web_sys::window() else {
        return format!("Could not copy the {what}: no window.");
    };
    let promise = window.navigator().clipboard().write_text(&text);
    match JsFuture::from(promise).await {
        Ok(_) => format!("Copied the {what}."),
        Err(e) => format!("Could not copy the {what}: {}", text_of(&e)),
    }
}

/// Why a download could not be offered.
#[derive(Debug)]
pub enum DownloadError {
    /// A browser API failed; its message.
    Browser(String),
    /// The page has no window or document.
    NoDocument,
    /// `createElement("a")` gave something other than an anchor.
    NotAnAnchor,
}

impl std::fmt::Display for DownloadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DownloadError::Browser(message) => f.write_str(message),
            DownloadError::NoDocument => f.write_str("no document"),
            DownloadError::NotAnAnchor => f.write_str("not an anchor"),
        }
    }
}

impl std::error::Error for DownloadError {}

impl From<JsValue> for DownloadError {
    fn from(e: JsValue) -> Self {
        DownloadError::Browser(text_of(&e))
    }
}

/// Offers `text` as a file download named `name`.
pub fn download(name: &str, mime: &str, text: &str) -> Result<(), DownloadError> {
    let parts = Array::of1(&JsValue::from_str(text));
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    let blob = Blob::new_with_str_sequence_and_options(&parts, &options)?;
    let url = Url::create_object_url_with_blob(&blob)?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or(DownloadError::NoDocument)?;
    let anchor: HtmlAnchorElement = document
        .create_element("a")?
        .dyn_into()
        .map_err(|_| DownloadError::NotAnAnchor)?;
    anchor.set_href(&url);
    anchor.set_download(name);
    anchor.click();
    Ok(Url::revoke_object_url(&url)?)
}

/// A JavaScript error as text.
pub fn text_of(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "unknown error".to_string())
}

/// Reads dropped or picked files in the background, then adds them in one action; large
/// captures are read as streams into cards of their own (`super::stream`).
pub fn read_and_add(files: Vec<File>, dispatch: Dispatch) {
    wasm_bindgen_futures::spawn_local(async move {
        let mut whole = Vec::new();
        for file in files {
            if super::stream::wants_stream(&file).await {
                super::stream::start(file, dispatch.clone());
            } else {
                whole.push(file);
            }
        }
        if whole.is_empty() {
            return;
        }
        let (files, failures) = read_files(whole).await;
        if !files.is_empty() {
            dispatch.dispatch(Action::Add { files, now: now() });
        }
        if !failures.is_empty() {
            dispatch.dispatch(Action::Notice(Some(failures.join("; "))));
        }
    });
}
