//! A small element tree over quick-xml events, for the OAI-PMH and Atom readers.
//!
//! Both answers are read whole (a page is at most a few MiB), so a tree is simpler to query than
//! a streaming state machine. The parser is lenient about breaks: at a syntax error or an early
//! end it keeps what it built, closes the elements still open with `complete: false`, and reports
//! the error beside the tree, so that callers can keep the complete records before the break.
//!
//! Namespaces are not resolved: names keep their local part only, which is unambiguous in both
//! formats. Only UTF-8 is read, the only encoding arXiv sends.

use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};

/// Largest document accepted. A full OAI-PMH page of 1,000 records is about 3 MiB.
const MAX_DOCUMENT_BYTES: usize = 64 << 20;
/// Deepest nesting accepted; both formats need fewer than ten levels. The limit also keeps the
/// recursive drop of a hostile tree from overflowing the stack.
const MAX_DEPTH: usize = 128;
/// Most elements accepted in one document, so that a flood of `<a/>` cannot exhaust memory.
const MAX_ELEMENTS: usize = 1_000_000;

/// One element with its attributes, child elements and text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Element {
    /// The local name, without its namespace prefix.
    pub name: String,
    /// Attributes by local name, unescaped; namespace declarations are left out.
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Element>,
    /// The element's own text and CDATA, unescaped and concatenated (children's text excluded).
    pub text: String,
    /// Whether the end tag was read; `false` for elements cut off by an error or an early end.
    pub complete: bool,
}

impl Element {
    /// The first child with the given local name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// All children with the given local name, in document order.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The text of the first child with the given local name.
    pub fn text_of(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }

    /// The value of the attribute with the given local name.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// Where and why a document stopped being readable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct XmlError {
    pub message: String,
    /// Byte offset into the document.
    pub position: u64,
}

/// What could be read of a document: the tree up to the first error, and that error.
#[derive(Debug)]
pub(crate) struct Document {
    /// `None` when not even the root element's start tag could be read.
    pub root: Option<Element>,
    pub error: Option<XmlError>,
}

/// Parses a whole document, keeping what comes before the first error.
pub(crate) fn parse(xml: &[u8]) -> Document {
    if xml.len() > MAX_DOCUMENT_BYTES {
        let error = XmlError {
            message: format!(
                "the document is {} bytes long; at most {} MiB are accepted",
                xml.len(),
                MAX_DOCUMENT_BYTES >> 20
            ),
            position: 0,
        };
        return Document { root: None, error: Some(error) };
    }
    let mut builder = Builder::default();
    let error = builder.read(xml).err();
    Document { root: builder.finish(), error }
}

#[derive(Default)]
struct Builder {
    /// The elements whose end tag has not been read yet, the root first.
    open: Vec<Element>,
    root: Option<Element>,
    elements: usize,
}

impl Builder {
    fn read(&mut self, xml: &[u8]) -> Result<(), XmlError> {
        let mut reader = Reader::from_reader(xml);
        loop {
            let start = reader.buffer_position();
            let fail = |message: String| XmlError { message, position: start };
            let event = reader
                .read_event()
                .map_err(|e| XmlError { message: e.to_string(), position: reader.error_position() })?;
            match event {
                Event::Start(tag) => self.open(element(&tag, &reader).map_err(fail)?).map_err(fail)?,
                Event::Empty(tag) => {
                    self.open(element(&tag, &reader).map_err(fail)?).map_err(fail)?;
                    self.close();
                }
                // quick-xml has already checked that the end tag matches the open element.
                Event::End(_) => self.close(),
                Event::Text(text) => {
                    let text = text.xml10_content().map_err(|e| fail(e.to_string()))?;
                    self.text(&text).map_err(fail)?;
                }
                Event::CData(cdata) => {
                    let text = cdata.xml10_content().map_err(|e| fail(e.to_string()))?;
                    self.text(&text).map_err(fail)?;
                }
                Event::GeneralRef(reference) => {
                    let resolved = match reference.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        Ok(None) => {
                            let name = reference.decode().map_err(|e| fail(e.to_string()))?;
                            resolve_predefined_entity(&name)
                                .ok_or_else(|| fail(format!("undeclared entity `&{name};`")))?
                                .to_owned()
                        }
                        Err(e) => return Err(fail(e.to_string())),
                    };
                    self.text(&resolved).map_err(fail)?;
                }
                Event::Eof => {
                    return match (self.open.last(), &self.root) {
                        (Some(open), _) => Err(XmlError {
                            message: format!("the document ends inside <{}>", open.name),
                            position: xml.len() as u64,
                        }),
                        (None, None) => Err(fail("the document has no root element".into())),
                        (None, Some(_)) => Ok(()),
                    };
                }
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
            }
        }
    }

    fn open(&mut self, element: Element) -> Result<(), String> {
        if self.open.is_empty() && self.root.is_some() {
            return Err(format!("a second root element <{}> follows the first", element.name));
        }
        if self.open.len() >= MAX_DEPTH {
            return Err(format!("elements are nested more than {MAX_DEPTH} deep"));
        }
        self.elements += 1;
        if self.elements > MAX_ELEMENTS {
            return Err(format!("the document has more than {MAX_ELEMENTS} elements"));
        }
        self.open.push(element);
        Ok(())
    }

    fn close(&mut self) {
        if let Some(mut element) = self.open.pop() {
            element.complete = true;
            self.attach(element);
        }
    }

    fn text(&mut self, text: &str) -> Result<(), String> {
        match self.open.last_mut() {
            Some(element) => element.text.push_str(text),
            // Whitespace around the root element is allowed; anything else is not XML.
            None if text.trim().is_empty() => {}
            None => return Err("text outside the root element".into()),
        }
        Ok(())
    }

    fn attach(&mut self, element: Element) {
        match self.open.last_mut() {
            Some(parent) => parent.children.push(element),
            None => self.root = Some(element),
        }
    }

    /// Closes the elements left open by an error or an early end, marked incomplete.
    fn finish(mut self) -> Option<Element> {
        while let Some(element) = self.open.pop() {
            self.attach(element);
        }
        self.root
    }
}

/// An element for a start tag, with its attributes unescaped.
fn element(tag: &BytesStart<'_>, reader: &Reader<&[u8]>) -> Result<Element, String> {
    let mut attrs = Vec::new();
    for attr in tag.attributes() {
        let attr = attr.map_err(|e| e.to_string())?;
        if attr.key.as_namespace_binding().is_some() {
            continue;
        }
        let key = String::from_utf8_lossy(attr.key.local_name().as_ref()).into_owned();
        let value = attr
            .decode_and_unescape_value(reader.decoder())
            .map_err(|e| format!("attribute `{key}`: {e}"))?;
        attrs.push((key, value.into_owned()));
    }
    Ok(Element {
        name: String::from_utf8_lossy(tag.local_name().as_ref()).into_owned(),
        attrs,
        ..Element::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(xml: &str) -> Document {
        parse(xml.as_bytes())
    }

    #[test]
    fn builds_a_tree_with_local_names_and_unescaped_text() {
        let doc = parse_str(
            "<?xml version=\"1.0\"?>\n<!-- hi --><a:root xmlns:a=\"urn:a\" a:x=\"1 &amp; 2\">\
             <b>one &quot;two&quot; &#51;&#x34; <![CDATA[<five>]]></b><c k=\"v\"/><b>six</b></a:root>\n",
        );
        assert_eq!(doc.error, None);
        let root = doc.root.unwrap();
        assert_eq!(root.name, "root");
        assert!(root.complete);
        assert_eq!(root.attrs, [("x".to_owned(), "1 & 2".to_owned())]);
        assert_eq!(root.attr("x"), Some("1 & 2"));
        assert_eq!(root.text_of("b"), Some("one \"two\" 34 <five>"));
        assert_eq!(root.children_named("b").count(), 2);
        assert_eq!(root.child("c").and_then(|c| c.attr("k")), Some("v"));
        assert!(root.child("c").unwrap().complete);
        assert_eq!(root.child("d"), None);
    }

    #[test]
    fn skips_a_byte_order_mark() {
        let doc = parse(b"\xEF\xBB\xBF<?xml version=\"1.0\"?><a>x</a>");
        assert_eq!(doc.error, None);
        assert_eq!(doc.root.unwrap().text, "x");
    }

    #[test]
    fn keeps_the_tree_before_an_early_end() {
        let xml = "<root><a>done</a><b>cut <c>of";
        let doc = parse_str(xml);
        let error = doc.error.unwrap();
        assert_eq!(error.position, xml.len() as u64);
        assert!(error.message.contains("ends inside <c>"), "{}", error.message);
        let root = doc.root.unwrap();
        assert!(!root.complete);
        assert!(root.child("a").unwrap().complete);
        let b = root.child("b").unwrap();
        assert!(!b.complete);
        assert_eq!(b.text, "cut ");
        assert_eq!(b.text_of("c"), Some("of"));
        assert!(!b.child("c").unwrap().complete);
    }

    #[test]
    fn keeps_the_tree_before_a_syntax_error() {
        let xml = "<root><a>done</a><b>x</c></root>";
        let doc = parse_str(xml);
        let error = doc.error.unwrap();
        assert_eq!(error.position, 21, "{}", error.message);
        let root = doc.root.unwrap();
        assert!(root.child("a").unwrap().complete);
        assert!(!root.child("b").unwrap().complete);

        let doc = parse_str("<root><a>done</a><b attr=\"x");
        assert!(doc.error.is_some());
        assert_eq!(doc.root.unwrap().children.len(), 1);
    }

    #[test]
    fn rejects_what_is_not_xml() {
        for bad in [
            &b""[..],
            b"   ",
            b"garbage",
            b"\xff\xfe\x00<\x00r",
            b"<a>\xff</a>",
            b"<a>&nbsp;</a>",
            b"<a>&#0;</a>",
            b"<a>x & y</a>",
            b"<a/><b/>",
            b"<a x=\"1\" x=\"2\"/>",
        ] {
            let doc = parse(bad);
            assert!(doc.error.is_some(), "{:?} was accepted", String::from_utf8_lossy(bad));
        }
        assert_eq!(parse(b"garbage").root, None);
    }

    #[test]
    fn rejects_oversized_and_overnested_documents() {
        let huge = vec![b' '; MAX_DOCUMENT_BYTES + 1];
        let doc = parse(&huge);
        assert!(doc.root.is_none());
        assert!(doc.error.unwrap().message.contains("64 MiB"));

        let flood = format!("<root>{}</root>", "<a/>".repeat(MAX_ELEMENTS));
        let doc = parse_str(&flood);
        assert!(doc.error.unwrap().message.contains("more than 1000000 elements"));
        assert_eq!(doc.root.unwrap().children.len(), MAX_ELEMENTS - 1);

        let deep = "<a>".repeat(MAX_DEPTH + 1);
        let doc = parse_str(&deep);
        assert!(doc.error.unwrap().message.contains("nested"));
        assert!(doc.root.is_some());
    }
}
