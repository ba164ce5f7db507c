//! Byte spans and the field tree that every decoded item carries.
//!
//! A hex view highlights a field by its span; selecting bytes finds the deepest node whose span
//! contains them. Spans are relative to the item's own bytes (the DER of a certificate, the raw
//! stream of a TLS direction), never to the text a PEM block was found in.

use alloc::string::String;
use alloc::vec::Vec;
use serde::Serialize;

/// A range of bytes: `offset` from the start of the item's bytes, `len` bytes long.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Span {
    /// Offset of the first byte.
    pub offset: usize,
    /// Number of bytes.
    pub len: usize,
}

impl Span {
    /// The span of `len` bytes from `offset`.
    pub const fn new(offset: usize, len: usize) -> Self {
        Self { offset, len }
    }

    /// One past the last byte.
    pub const fn end(&self) -> usize {
        self.offset + self.len
    }

    /// Whether `offset` lies inside the span.
    pub const fn contains(&self, offset: usize) -> bool {
        offset >= self.offset && offset < self.offset + self.len
    }

    /// The span of `part` inside `whole`, when `part` is a sub-slice of it.
    ///
    /// Parsers that borrow their input (x509-parser, our DER reader) hand back sub-slices; their
    /// position is the span. Returns `None` for a slice that does not lie inside `whole`.
    pub fn of(whole: &[u8], part: &[u8]) -> Option<Self> {
        let start = whole.as_ptr() as usize;
        let at = part.as_ptr() as usize;
        if at < start || at + part.len() > start + whole.len() {
            return None;
        }
        Some(Self::new(at - start, part.len()))
    }
}

/// One named field of a decoded item, with its value as text and its bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Node {
    /// The field's name.
    pub name: String,
    /// The value as a person reads it; empty for a pure container.
    pub value: String,
    /// Where the field's bytes lie.
    pub span: Span,
    /// The fields inside this one.
    pub children: Vec<Node>,
}

impl Node {
    /// A node without children.
    pub fn new(name: impl Into<String>, value: impl Into<String>, span: Span) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
            span,
            children: Vec::new(),
        }
    }

    /// The node with these children.
    pub fn with_children(mut self, children: Vec<Node>) -> Self {
        self.children = children;
        self
    }

    /// Adds a child.
    pub fn push(&mut self, child: Node) {
        self.children.push(child);
    }

    /// The path of child indexes to the deepest node whose span contains `offset`.
    ///
    /// This is how "selecting bytes selects the field" works in the hex view. Sibling spans may
    /// overlap (the connections of a capture interleave in the file, and so do the two
    /// directions of one connection): when a containing node has no child that contains the
    /// offset, the next containing sibling is tried, and the first containing node is the
    /// answer only when none of them leads deeper. Every node is visited at most once.
    pub fn path_at(nodes: &[Node], offset: usize) -> Vec<usize> {
        // The best path found so far (the deepest, the first of equals), and a depth-first walk
        // over containing nodes with an explicit stack (no recursion on deep trees).
        let mut best: Vec<usize> = Vec::new();
        let mut path: Vec<usize> = Vec::new();
        let mut stack: Vec<(&[Node], usize)> = alloc::vec![(nodes, 0)];
        while let Some((level, start)) = stack.pop() {
            let next = level
                .iter()
                .enumerate()
                .skip(start)
                .find(|(_, n)| n.span.contains(offset));
            let Some((i, node)) = next else {
                // This level is done: back to the parent's next sibling.
                path.pop();
                continue;
            };
            stack.push((level, i + 1));
            path.push(i);
            if path.len() > best.len() {
                best.clone_from(&path);
            }
            // Its children next (an empty list just pops the node again).
            stack.push((&node.children, 0));
        }
        best
    }

    /// Follows a path of child indexes, as returned by [`Node::path_at`].
    pub fn at_path<'a>(nodes: &'a [Node], path: &[usize]) -> Option<&'a Node> {
        let (first, rest) = path.split_first()?;
        let mut node = nodes.get(*first)?;
        for i in rest {
            node = node.children.get(*i)?;
        }
        Some(node)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn span_of_sub_slice() {
        let whole = [1u8, 2, 3, 4, 5];
        assert_eq!(Span::of(&whole, &whole[1..3]), Some(Span::new(1, 2)));
        let other = [9u8; 2];
        assert_eq!(Span::of(&whole, &other), None);
    }

    #[test]
    fn path_finds_deepest_field() {
        let tree = vec![Node::new("outer", "", Span::new(0, 10)).with_children(vec![
            Node::new("a", "1", Span::new(2, 3)),
            Node::new("b", "2", Span::new(5, 5)),
        ])];
        assert_eq!(Node::path_at(&tree, 6), vec![0, 1]);
        assert_eq!(Node::path_at(&tree, 0), vec![0]);
        assert_eq!(Node::path_at(&tree, 10), Vec::<usize>::new());
        assert_eq!(
            Node::at_path(&tree, &[0, 1]).map(|n| n.name.as_str()),
            Some("b")
        );
    }

    #[test]
    fn path_tries_overlapping_siblings() {
        // Two connections interleaved in a file: each one's span covers the other's packets.
        let conn = |name: &str, span: Span, records: Vec<Node>| {
            Node::new(name, "", span).with_children(vec![
                Node::new("client -> server", "", span).with_children(records)
            ])
        };
        let tree =
            vec![
                conn(
                    "a",
                    Span::new(0, 100),
                    vec![
                        Node::new("record 0", "", Span::new(0, 10)),
                        Node::new("record 1", "", Span::new(60, 10)),
                    ],
                ),
                conn(
                    "b",
                    Span::new(20, 100),
                    vec![Node::new("record 0", "", Span::new(30, 20))
                        .with_children(vec![Node::new("version", "", Span::new(31, 2))])],
                ),
            ];
        assert_eq!(Node::path_at(&tree, 5), vec![0, 0, 0]);
        assert_eq!(Node::path_at(&tree, 65), vec![0, 0, 1]);
        // Inside a but in none of its records: b's record holds it.
        assert_eq!(Node::path_at(&tree, 40), vec![1, 0, 0]);
        assert_eq!(Node::path_at(&tree, 32), vec![1, 0, 0, 0]);
        // In both connections and no record: the first containing node, as deep as it goes.
        assert_eq!(Node::path_at(&tree, 55), vec![0, 0]);
        assert_eq!(Node::path_at(&tree, 110), vec![1, 0]);
        assert_eq!(Node::path_at(&tree, 500), Vec::<usize>::new());
        assert_eq!(Node::path_at(&[], 0), Vec::<usize>::new());
    }
}
