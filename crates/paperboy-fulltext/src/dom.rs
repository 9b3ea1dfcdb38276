//! A parsed HTML page as a plain tree of nodes in one vector, built by html5ever's tree builder
//! (the parsing rules browsers follow, so a truncated or malformed page parses as a browser
//! would show it). Only what conversion reads is kept: elements with their attributes, and text.

use std::borrow::Cow;
use std::cell::{Ref, RefCell};

use html5ever::interface::tree_builder::{ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::tendril::{StrTendril, TendrilSink};
use html5ever::{Attribute, QualName, parse_document};

/// A node's place in [`Dom::nodes`].
pub type NodeId = usize;

/// A parsed page.
pub struct Dom {
    nodes: Vec<Node>,
}

/// One node of the tree.
pub struct Node {
    parent: Option<NodeId>,
    children: Vec<NodeId>,
    data: Data,
}

/// What a node is.
pub enum Data {
    /// The document, or a template's contents: never shown.
    Root,
    Element {
        name: QualName,
        attrs: Vec<Attribute>,
    },
    Text(String),
    /// A comment, a doctype or a processing instruction: never shown.
    Other,
}

impl Dom {
    /// Parses `html` as a browser would; any bytes that are not UTF-8 become U+FFFD.
    pub fn parse(html: &[u8]) -> Dom {
        let sink = Sink { nodes: RefCell::new(vec![Node::new(Data::Root)]) };
        parse_document(sink, Default::default()).from_utf8().one(html)
    }

    /// The document node.
    pub fn root(&self) -> NodeId {
        0
    }

    pub fn children(&self, id: NodeId) -> &[NodeId] {
        &self.nodes[id].children
    }

    pub fn parent(&self, id: NodeId) -> Option<NodeId> {
        self.nodes[id].parent
    }

    pub fn data(&self, id: NodeId) -> &Data {
        &self.nodes[id].data
    }

    /// The element's local name (`p`, `math`), or `""` for anything else.
    pub fn tag(&self, id: NodeId) -> &str {
        match &self.nodes[id].data {
            Data::Element { name, .. } => &name.local,
            _ => "",
        }
    }

    /// The value of the element's attribute `name`.
    pub fn attr(&self, id: NodeId, name: &str) -> Option<&str> {
        match &self.nodes[id].data {
            Data::Element { attrs, .. } => attrs.iter().find(|a| &*a.name.local == name).map(|a| &*a.value),
            _ => None,
        }
    }

    /// Whether the element's `class` attribute holds `class`.
    pub fn has_class(&self, id: NodeId, class: &str) -> bool {
        self.attr(id, "class").is_some_and(|classes| classes.split_ascii_whitespace().any(|c| c == class))
    }

    /// The first element under `id` (depth first, `id` included) for which `pick` holds.
    pub fn find(&self, id: NodeId, pick: impl Fn(NodeId) -> bool) -> Option<NodeId> {
        let mut stack = vec![id];
        while let Some(node) = stack.pop() {
            if pick(node) {
                return Some(node);
            }
            stack.extend(self.nodes[node].children.iter().rev());
        }
        None
    }

    /// Every element under `id` (depth first, `id` included) for which `pick` holds, not
    /// looking inside the ones picked.
    pub fn find_all(&self, id: NodeId, pick: impl Fn(NodeId) -> bool) -> Vec<NodeId> {
        let mut found = Vec::new();
        let mut stack = vec![id];
        while let Some(node) = stack.pop() {
            if pick(node) {
                found.push(node);
            } else {
                stack.extend(self.nodes[node].children.iter().rev());
            }
        }
        found
    }

    /// All the text under `id`, in order, without recursion (a hostile page may nest deeply).
    pub fn text(&self, id: NodeId) -> String {
        let mut text = String::new();
        let mut stack = vec![id];
        while let Some(node) = stack.pop() {
            match &self.nodes[node].data {
                Data::Text(t) => text.push_str(t),
                Data::Element { .. } | Data::Root => stack.extend(self.nodes[node].children.iter().rev()),
                Data::Other => {}
            }
        }
        text
    }
}

impl Node {
    fn new(data: Data) -> Node {
        Node { parent: None, children: Vec::new(), data }
    }
}

/// html5ever's tree builder writes into this.
struct Sink {
    nodes: RefCell<Vec<Node>>,
}

impl Sink {
    fn add(&self, data: Data) -> NodeId {
        let mut nodes = self.nodes.borrow_mut();
        nodes.push(Node::new(data));
        nodes.len() - 1
    }

    fn detach(&self, id: NodeId) {
        let mut nodes = self.nodes.borrow_mut();
        if let Some(parent) = nodes[id].parent.take() {
            nodes[parent].children.retain(|&child| child != id);
        }
    }

    /// Inserts `child` under `parent` at `at` (its end when `None`); text next to text joins it.
    fn insert(&self, parent: NodeId, at: Option<usize>, child: NodeOrText<NodeId>) {
        let id = match child {
            NodeOrText::AppendText(text) => {
                let mut nodes = self.nodes.borrow_mut();
                let before = match at {
                    Some(at) => at.checked_sub(1).map(|i| nodes[parent].children[i]),
                    None => nodes[parent].children.last().copied(),
                };
                if let Some(before) = before
                    && let Data::Text(existing) = &mut nodes[before].data
                {
                    existing.push_str(&text);
                    return;
                }
                drop(nodes);
                self.add(Data::Text(text.to_string()))
            }
            NodeOrText::AppendNode(node) => {
                self.detach(node);
                node
            }
        };
        let mut nodes = self.nodes.borrow_mut();
        nodes[id].parent = Some(parent);
        let children = &mut nodes[parent].children;
        match at {
            Some(at) => children.insert(at.min(children.len()), id),
            None => children.push(id),
        }
    }
}

impl TreeSink for Sink {
    type Handle = NodeId;
    type Output = Dom;
    type ElemName<'a> = Ref<'a, QualName>;

    fn finish(self) -> Dom {
        Dom { nodes: self.nodes.into_inner() }
    }

    fn parse_error(&self, _: Cow<'static, str>) {}

    fn get_document(&self) -> NodeId {
        0
    }

    fn elem_name<'a>(&'a self, target: &'a NodeId) -> Ref<'a, QualName> {
        Ref::map(self.nodes.borrow(), |nodes| match &nodes[*target].data {
            Data::Element { name, .. } => name,
            _ => unreachable!("html5ever asks only elements' names"),
        })
    }

    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, _: ElementFlags) -> NodeId {
        self.add(Data::Element { name, attrs })
    }

    fn create_comment(&self, _: StrTendril) -> NodeId {
        self.add(Data::Other)
    }

    fn create_pi(&self, _: StrTendril, _: StrTendril) -> NodeId {
        self.add(Data::Other)
    }

    fn append(&self, parent: &NodeId, child: NodeOrText<NodeId>) {
        self.insert(*parent, None, child);
    }

    fn append_based_on_parent_node(
        &self,
        element: &NodeId,
        prev_element: &NodeId,
        child: NodeOrText<NodeId>,
    ) {
        if self.nodes.borrow()[*element].parent.is_some() {
            self.append_before_sibling(element, child);
        } else {
            self.append(prev_element, child);
        }
    }

    fn append_doctype_to_document(&self, _: StrTendril, _: StrTendril, _: StrTendril) {}

    fn get_template_contents(&self, _: &NodeId) -> NodeId {
        // A template's contents are never shown: they go under a root of their own.
        self.add(Data::Root)
    }

    fn same_node(&self, x: &NodeId, y: &NodeId) -> bool {
        x == y
    }

    fn set_quirks_mode(&self, _: QuirksMode) {}

    fn append_before_sibling(&self, sibling: &NodeId, child: NodeOrText<NodeId>) {
        let place = {
            let nodes = self.nodes.borrow();
            nodes[*sibling]
                .parent
                .map(|parent| (parent, nodes[parent].children.iter().position(|c| c == sibling)))
        };
        if let Some((parent, at)) = place {
            self.insert(parent, at, child);
        }
    }

    fn add_attrs_if_missing(&self, target: &NodeId, extra: Vec<Attribute>) {
        if let Data::Element { attrs, .. } = &mut self.nodes.borrow_mut()[*target].data {
            for attr in extra {
                if !attrs.iter().any(|a| a.name == attr.name) {
                    attrs.push(attr);
                }
            }
        }
    }

    fn remove_from_parent(&self, target: &NodeId) {
        self.detach(*target);
    }

    fn reparent_children(&self, node: &NodeId, new_parent: &NodeId) {
        let mut nodes = self.nodes.borrow_mut();
        let children = std::mem::take(&mut nodes[*node].children);
        for &child in &children {
            nodes[child].parent = Some(*new_parent);
        }
        nodes[*new_parent].children.extend(children);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_parses_into_elements_and_text() {
        let dom = Dom::parse(b"<p class='a b'>Hello <em>there</em></p><p>again");
        let p = dom.find(dom.root(), |n| dom.tag(n) == "p").unwrap();
        assert!(dom.has_class(p, "b") && !dom.has_class(p, "c"));
        assert_eq!(dom.text(p), "Hello there");
        let all = dom.find_all(dom.root(), |n| dom.tag(n) == "p");
        assert_eq!(all.len(), 2);
        assert_eq!(dom.text(all[1]), "again", "a truncated page keeps what arrived");
    }

    #[test]
    fn misnested_tables_move_their_text_as_browsers_do() {
        // The tree builder's foster parenting inserts text before the table.
        let dom = Dom::parse(b"<table>stray<tr><td>cell</td></tr></table>");
        let body = dom.find(dom.root(), |n| dom.tag(n) == "body").unwrap();
        assert_eq!(dom.text(body), "straycell");
    }
}
