//! The keyboard in lists of controls, and keeping a selection in view.
//!
//! The field tree, the hex bytes and the ladder's rungs are each one Tab stop (the WAI-ARIA
//! "roving tabindex": the current entry has `tabindex="0"`, the others `-1`); arrow keys, Home
//! and End move the focus among the entries, Enter (a button's own click, or the hex view's
//! handler) selects. The focus moves in the DOM only: nothing is re-rendered for a key.

use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement, KeyboardEvent};

/// Where a key moves the focus in a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// This many entries later (earlier when negative), stopping at the ends.
    By(isize),
    First,
    Last,
}

impl Step {
    /// The step of a key in a list of `row` entries per line (1 for a vertical list): arrows
    /// up and down move a line, left and right one entry.
    pub fn of_key(key: &str, row: isize) -> Option<Step> {
        Some(match key {
            "ArrowDown" => Step::By(row),
            "ArrowUp" => Step::By(-row),
            "ArrowRight" => Step::By(1),
            "ArrowLeft" => Step::By(-1),
            "Home" => Step::First,
            "End" => Step::Last,
            _ => return None,
        })
    }
}

/// The element that has the focus.
pub fn active() -> Option<Element> {
    web_sys::window()?.document()?.active_element()
}

/// Moves the focus from the focused entry among `selector` in `container` by `step`; false
/// when the focus is on none of them (the key is then left to the browser).
pub fn step(container: &Element, selector: &str, step: Step) -> bool {
    let Ok(list) = container.query_selector_all(selector) else {
        return false;
    };
    let entries: Vec<HtmlElement> = (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<HtmlElement>().ok())
        .collect();
    let Some(focus) = active() else { return false };
    let Some(at) = entries.iter().position(|e| **e == focus) else {
        return false;
    };
    let last = entries.len().saturating_sub(1);
    let to = match step {
        Step::By(n) => at.saturating_add_signed(n).min(last),
        Step::First => 0,
        Step::Last => last,
    };
    if let (Some(from), Some(to)) = (entries.get(at), entries.get(to)) {
        hand_over(from, to);
    }
    true
}

/// Makes `to` the list's Tab stop and focuses it.
pub fn hand_over(from: &Element, to: &Element) {
    if from != to {
        let _ = from.set_attribute("tabindex", "-1");
        let _ = to.set_attribute("tabindex", "0");
    }
    if let Some(to) = to.dyn_ref::<HtmlElement>() {
        let _ = to.focus();
    }
}

/// Handles a key of a vertical list of controls (the ladder's rungs).
pub fn list_keys(e: &KeyboardEvent, selector: &str) {
    let Some(container) = e
        .current_target()
        .and_then(|t| t.dyn_into::<Element>().ok())
    else {
        return;
    };
    if Step::of_key(&e.key(), 1).is_some_and(|s| step(&container, selector, s)) {
        e.prevent_default();
    }
}

/// Scrolls `container` (a box with its own scroll bar) so that its first element matching
/// `selector` is in view; the page itself does not move.
pub fn reveal_in(container: &Element, selector: &str) {
    let Ok(Some(el)) = container.query_selector(selector) else {
        return;
    };
    let (outer, inner) = (
        container.get_bounding_client_rect(),
        el.get_bounding_client_rect(),
    );
    let top = inner.top() - outer.top();
    let height = f64::from(container.client_height());
    if top < 0.0 || top + inner.height() > height {
        let by = (top - height / 3.0).round();
        // Far below i32 limits: a tree box is at most a few hundred thousand pixels high.
        container.set_scroll_top(container.scroll_top().saturating_add(by as i32));
    }
}

/// Leaves exactly one Tab stop among the `entries` of `container`: the first matching `current`,
/// else the first entry. Arrow keys move the stop in the DOM only, so after a selection is
/// rendered the stop may be left on an entry the page no longer marks: this puts it back.
pub fn one_stop(container: &Element, entries: &str, current: &str) {
    let Ok(list) = container.query_selector_all(entries) else {
        return;
    };
    let chosen = container
        .query_selector(current)
        .ok()
        .flatten()
        .or_else(|| container.query_selector(entries).ok().flatten());
    for el in (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<Element>().ok())
    {
        let stop = chosen.as_ref() == Some(&el);
        let want = if stop { "0" } else { "-1" };
        if el.get_attribute("tabindex").as_deref() != Some(want) {
            let _ = el.set_attribute("tabindex", want);
        }
    }
}
