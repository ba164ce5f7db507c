//! The hex view's arithmetic: rows of 16 bytes, pages for long items, keeping a field in view.
//!
//! Long items (a capture of megabytes) are never rendered whole: the view shows one page of
//! rows, and selecting a field moves the page so that the field's first byte is on it.

use mtlskit_inspect::x509::PRIVATE;
use mtlskit_inspect::{Item, ItemBody};
use mtlskit_inspect::{Node, Span};

/// Bytes per row.
pub const ROW: usize = 16;
/// Rows per page.
pub const PAGE: usize = 64;

/// The rows an item of `len` bytes has.
pub const fn rows(len: usize) -> usize {
    len.div_ceil(ROW)
}

/// The rows shown: `first..end`, clamped to the item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// The first row shown.
    pub first: usize,
    /// The row after the last one shown.
    pub end: usize,
    /// How many rows the item has.
    pub total: usize,
}

impl Window {
    /// The page that starts at row `first` (moved back to the last row when past it) of an item
    /// of `len` bytes.
    pub fn new(first: usize, len: usize) -> Self {
        let total = rows(len);
        let first = first.min(total.saturating_sub(1));
        Self {
            first,
            end: (first + PAGE).min(total),
            total,
        }
    }

    /// Whether there is more than one page, so the view needs paging buttons.
    pub const fn paged(&self) -> bool {
        self.total > PAGE
    }

    /// The first row of the page before this one; `None` on the first page.
    pub const fn previous(&self) -> Option<usize> {
        if self.first == 0 {
            None
        } else {
            Some(self.first.saturating_sub(PAGE))
        }
    }

    /// The first row of the page after this one; `None` on the last page.
    pub const fn next(&self) -> Option<usize> {
        if self.end >= self.total {
            None
        } else {
            Some(self.end)
        }
    }

    /// The byte range shown.
    pub fn bytes(&self, len: usize) -> core::ops::Range<usize> {
        (self.first * ROW).min(len)..(self.end * ROW).min(len)
    }
}

/// The first row to show so that `span` starts in view: `first` itself when it already does,
/// else a page that starts a few rows before the span.
pub fn row_in_view(span: Span, first: usize, len: usize) -> usize {
    let row = span.offset / ROW;
    if row >= first && row < first + PAGE {
        return first;
    }
    let wanted = row.saturating_sub(4);
    Window::new(wanted, len).first
}

/// The bytes of an item that are never shown or copied: private key material. The inspect crate
/// marks those fields with the value [`PRIVATE`]; a private key without such marks is hidden
/// whole.
pub fn secret_spans(item: &Item) -> Vec<Span> {
    fn walk(nodes: &[Node], out: &mut Vec<Span>) {
        for node in nodes {
            if node.value == PRIVATE {
                out.push(node.span);
            } else {
                walk(&node.children, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(&item.tree, &mut out);
    if out.is_empty() && matches!(item.body, ItemBody::PrivateKey(_)) {
        out.push(Span::new(0, item.bytes.len()));
    }
    out
}

/// Whether `span` shares a byte with any of `secrets`.
pub fn overlaps(span: Span, secrets: &[Span]) -> bool {
    secrets.iter().any(|s| {
        span.offset < s.offset.saturating_add(s.len)
            && s.offset < span.offset.saturating_add(span.len)
    })
}

/// Two lowercase hex digits, and the hex of some bytes: inspect's, so the page and the
/// report write hex alike.
pub use mtlskit_inspect::der::{hex, hex_byte};

/// The character the ASCII column shows for a byte.
pub const fn ascii(b: u8) -> char {
    if b.is_ascii_graphic() || b == b' ' {
        b as char
    } else {
        '.'
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_long_items() {
        let len = ROW * PAGE * 2 + 3; // two full pages and a partial row
        let w = Window::new(0, len);
        assert_eq!((w.first, w.end, w.total), (0, PAGE, PAGE * 2 + 1));
        assert!(w.paged());
        assert_eq!(w.previous(), None);
        assert_eq!(w.next(), Some(PAGE));
        let last = Window::new(PAGE * 2, len);
        assert_eq!(last.next(), None);
        assert_eq!(last.bytes(len), ROW * PAGE * 2..len);
        assert_eq!(Window::new(10_000, len).first, PAGE * 2);
    }

    #[test]
    fn short_items_fit_one_page() {
        let w = Window::new(0, 100);
        assert!(!w.paged());
        assert_eq!(w.bytes(100), 0..100);
        assert_eq!(Window::new(0, 0).bytes(0), 0..0);
    }

    #[test]
    fn selection_moves_the_page_only_when_needed() {
        let len = 10_000;
        assert_eq!(row_in_view(Span::new(32, 4), 0, len), 0);
        let row = row_in_view(Span::new(5000, 4), 0, len);
        assert!(row <= 5000 / ROW && 5000 / ROW < row + PAGE);
    }

    #[test]
    fn secrets_overlap() {
        let secrets = [Span::new(10, 5)];
        assert!(overlaps(Span::new(0, 11), &secrets));
        assert!(overlaps(Span::new(14, 1), &secrets));
        assert!(!overlaps(Span::new(0, 10), &secrets));
        assert!(!overlaps(Span::new(15, 3), &secrets));
    }

    #[test]
    fn formats_bytes() {
        assert_eq!(hex(&[0x00, 0xab, 0x7f]), "00ab7f");
        assert_eq!(ascii(b'A'), 'A');
        assert_eq!(ascii(0x1b), '.');
        assert_eq!(ascii(0xe9), '.');
    }
}
