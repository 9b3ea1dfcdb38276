//! The layers of `crates/paperboy/src`, checked from the sources (and, for the tests, that each
//! test module takes its helpers from the harness only): every path a module names
//! (`use crate::...`, `super::...`, a child module, a path written inline) is an edge from it to
//! the module it reaches; no edge may run up a layer or between the two siblings on top, and no
//! modules may reach each other in a circle. ARCHITECTURE.md draws the same layers.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// The layers, bottom first, and the top-level modules in each. A module may use modules of its
/// own layer and of the layers below; `web` and `api` share a layer and never use each other.
const LAYERS: &[(&str, &[&str])] = &[
    ("domain", &["domain", "progress"]),
    ("storage", &["db", "mail", "quota"]),
    (
        "services",
        &[
            "error",
            "app",
            "search",
            "ingest",
            "stars",
            "fulltext",
            "annotate",
            "backup",
            "summarize",
            "digest",
            "jobs",
            "actions",
            "demo",
        ],
    ),
    ("http", &["http"]),
    ("surface", &["web", "api", "mcp"]),
    ("commands", &["server", "bench", "cli"]),
];

/// Top-level modules of one layer that must not use each other.
const SIBLINGS: &[(&str, &str)] = &[("web", "api"), ("api", "web")];

/// A module's path (`web::pages`; the crate root is ``) and its source with comments and test
/// modules removed.
fn modules() -> BTreeMap<String, String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = BTreeMap::new();
    walk(&root, &root, &mut found);
    found
}

fn walk(root: &Path, dir: &Path, found: &mut BTreeMap<String, String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(root, &path, found);
        } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("main.rs") {
            let relative = path.strip_prefix(root).unwrap().with_extension("");
            let mut parts: Vec<String> =
                relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
            if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
                parts.pop();
            }
            let source = std::fs::read_to_string(&path).unwrap();
            found.insert(parts.join("::"), code_of(&source));
        }
    }
}

/// `source` without comments, string literals' contents and `#[cfg(test)]` modules.
fn code_of(source: &str) -> String {
    let mut code = String::with_capacity(source.len());
    let mut skipping_test_module = false;
    let mut depth = 0_i32;
    for line in source.lines() {
        let line = line.split("//").next().unwrap_or_default();
        if line.trim() == "#[cfg(test)]" {
            skipping_test_module = true;
            depth = 0;
            continue;
        }
        if skipping_test_module {
            depth += line.matches('{').count() as i32 - line.matches('}').count() as i32;
            if depth <= 0 && line.contains('}') {
                skipping_test_module = false;
            }
            continue;
        }
        code.push_str(&strip_strings(line));
        code.push('\n');
    }
    code
}

fn strip_strings(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in line.chars() {
        match (in_string, c) {
            (true, '\\') if !escaped => escaped = true,
            (true, '"') if !escaped => in_string = false,
            (true, _) => escaped = false,
            (false, '"') => in_string = true,
            (false, c) => out.push(c),
        }
    }
    out
}

/// Every path `code` names, as segments from the crate root, with `use` trees expanded.
fn paths(module: &str, code: &str, children: &BTreeSet<String>) -> Vec<Vec<String>> {
    let here: Vec<String> =
        if module.is_empty() { Vec::new() } else { module.split("::").map(String::from).collect() };
    let mut found = Vec::new();
    let bytes: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < bytes.len()
                && (bytes[i].is_alphanumeric() || bytes[i] == '_' || bytes[i] == ':' || bytes[i] == '{')
            {
                if bytes[i] == '{' {
                    // A use tree: take it whole, up to its matching brace.
                    let mut depth = 0;
                    while i < bytes.len() {
                        match bytes[i] {
                            '{' => depth += 1,
                            '}' => {
                                depth -= 1;
                                if depth == 0 {
                                    i += 1;
                                    break;
                                }
                            }
                            _ => {}
                        }
                        i += 1;
                    }
                    break;
                }
                i += 1;
            }
            let preceded_by_path = start >= 2 && bytes[start - 1] == ':' && bytes[start - 2] == ':';
            let text: String = bytes[start..i].iter().collect();
            if !preceded_by_path && text.contains("::") {
                for path in expand(&text) {
                    if let Some(resolved) = resolve(&here, &path, children) {
                        found.push(resolved);
                    }
                }
            }
        } else {
            i += 1;
        }
    }
    found
}

/// `a::{b, c::{d, e}}` as `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<Vec<String>> {
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(open) = tree.find('{') else {
        return vec![tree.split("::").filter(|s| !s.is_empty()).map(String::from).collect()];
    };
    let prefix: Vec<String> = tree[..open].split("::").filter(|s| !s.is_empty()).map(String::from).collect();
    let inner = &tree[open + 1..tree.len().saturating_sub(1)];
    let mut items = Vec::new();
    let (mut depth, mut from) = (0, 0);
    for (at, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&inner[from..at]);
                from = at + 1;
            }
            _ => {}
        }
    }
    items.push(&inner[from..]);
    let mut out = Vec::new();
    for item in items.into_iter().filter(|item| !item.is_empty()) {
        let item = item.split(" as ").next().unwrap_or(item);
        for mut rest in expand(item) {
            if rest.first().is_some_and(|s| s == "self") {
                rest.remove(0);
            }
            out.push(prefix.iter().cloned().chain(rest).collect());
        }
    }
    out
}

/// A path as segments from the crate root: `crate::`, `super::`, `self::` or a child module.
fn resolve(here: &[String], path: &[String], children: &BTreeSet<String>) -> Option<Vec<String>> {
    let first = path.first()?;
    match first.as_str() {
        "crate" => Some(path[1..].to_vec()),
        "self" => Some(here.iter().cloned().chain(path[1..].iter().cloned()).collect()),
        "super" => {
            let mut base = here.to_vec();
            let mut rest = path;
            while rest.first().is_some_and(|s| s == "super") {
                base.pop()?;
                rest = &rest[1..];
            }
            Some(base.into_iter().chain(rest.iter().cloned()).collect())
        }
        child if children.contains(child) => Some(here.iter().cloned().chain(path.iter().cloned()).collect()),
        _ => None,
    }
}

/// The module a path lands in: its longest prefix that is a module.
fn module_of(path: &[String], modules: &BTreeMap<String, String>) -> Option<String> {
    (1..=path.len()).rev().map(|n| path[..n].join("::")).find(|name| modules.contains_key(name))
}

fn top(module: &str) -> &str {
    module.split("::").next().unwrap_or(module)
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, members)| members.contains(&top(module)))
}

/// Every edge between two modules, with the path that makes it.
fn edges() -> BTreeMap<(String, String), String> {
    let modules = modules();
    let mut edges = BTreeMap::new();
    for (module, code) in &modules {
        let prefix = if module.is_empty() { String::new() } else { format!("{module}::") };
        let children: BTreeSet<String> = modules
            .keys()
            .filter_map(|m| m.strip_prefix(&prefix).filter(|rest| !rest.is_empty() && !rest.contains("::")))
            .map(String::from)
            .collect();
        for path in paths(module, code, &children) {
            if let Some(target) = module_of(&path, &modules)
                && &target != module
            {
                edges.entry((module.clone(), target)).or_insert_with(|| path.join("::"));
            }
        }
    }
    edges
}

#[test]
fn every_module_is_in_a_layer() {
    let strays: Vec<String> =
        modules().into_keys().filter(|m| !m.is_empty() && layer_of(m).is_none()).collect();
    assert!(strays.is_empty(), "modules in no layer of LAYERS: {strays:?}");
}

#[test]
fn no_import_runs_up_a_layer_or_between_web_and_api() {
    let mut wrong = Vec::new();
    for ((from, to), path) in edges() {
        let (Some(from_layer), Some(to_layer)) = (layer_of(&from), layer_of(&to)) else { continue };
        let siblings = SIBLINGS.contains(&(top(&from), top(&to)));
        if to_layer > from_layer || siblings {
            wrong.push(format!("{from} ({}) uses {path} ({})", LAYERS[from_layer].0, LAYERS[to_layer].0));
        }
    }
    assert!(wrong.is_empty(), "imports against the layers:\n{}", wrong.join("\n"));
}

#[test]
fn no_modules_import_each_other_in_a_circle() {
    let edges = edges();
    let mut circles = Vec::new();
    // Between files, and between the top-level modules that hold them.
    for granularity in [|m: &str| m.to_owned(), |m: &str| top(m).to_owned()] {
        let mut graph: HashMap<String, BTreeSet<String>> = HashMap::new();
        for (from, to) in edges.keys() {
            let (from, to) = (granularity(from), granularity(to));
            // A parent module naming its own children (routes, re-exports) is how Rust nests
            // modules; the file-level check still catches a child that uses its parent back.
            if from != to && !from.is_empty() {
                graph.entry(from).or_default().insert(to);
            }
        }
        circles.extend(strongly_connected(&graph).into_iter().filter(|scc| scc.len() > 1));
    }
    assert!(circles.is_empty(), "modules that import each other in a circle: {circles:?}");
}

/// The strongly connected components of `graph` (Tarjan's algorithm), each sorted.
fn strongly_connected(graph: &HashMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        graph: &'a HashMap<String, BTreeSet<String>>,
        index: HashMap<&'a str, usize>,
        low: HashMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, node: &'a str) {
            let n = self.index.len();
            self.index.insert(node, n);
            self.low.insert(node, n);
            self.stack.push(node);
            self.on_stack.insert(node);
            for next in self.graph.get(node).into_iter().flatten() {
                if !self.index.contains_key(next.as_str()) {
                    self.visit(next);
                    let low = self.low[next.as_str()].min(self.low[node]);
                    self.low.insert(node, low);
                } else if self.on_stack.contains(next.as_str()) {
                    let low = self.index[next.as_str()].min(self.low[node]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let mut component = Vec::new();
                while let Some(member) = self.stack.pop() {
                    self.on_stack.remove(member);
                    component.push(member.to_owned());
                    if member == node {
                        break;
                    }
                }
                component.sort();
                self.found.push(component);
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: HashMap::new(),
        low: HashMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    let mut nodes: Vec<&String> = graph.keys().collect();
    nodes.sort();
    for node in nodes {
        if !walk.index.contains_key(node.as_str()) {
            walk.visit(node);
        }
    }
    walk.found
}

#[test]
fn test_modules_take_their_helpers_from_the_harness_only() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it");
    let mut wrong = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") || path.ends_with("main.rs") {
            continue;
        }
        let code = code_of(&std::fs::read_to_string(&path).unwrap());
        let module = path.file_stem().unwrap().to_string_lossy().into_owned();
        for found in paths(&module, &code, &BTreeSet::new()) {
            if found.first().is_some_and(|first| first != "harness" && first != &module) {
                wrong.push(format!("{module} uses {}", found.join("::")));
            }
        }
    }
    assert!(wrong.is_empty(), "test modules using each other's helpers:\n{}", wrong.join("\n"));
}

#[test]
fn the_checker_sees_use_trees_inline_paths_and_children() {
    let children: BTreeSet<String> = ["pages".to_owned()].into();
    let here = "web";
    let code = "use crate::http::{App, page::{cached, render}};\nuse super::db::Db;\nfn f() { crate::domain::text::url_encode(x); pages::show(); other::thing(); }";
    let found: Vec<String> = paths(here, code, &children).into_iter().map(|p| p.join("::")).collect();
    assert_eq!(
        found,
        [
            "http::App",
            "http::page::cached",
            "http::page::render",
            "db::Db",
            "domain::text::url_encode",
            "web::pages::show"
        ]
    );
    assert_eq!(
        code_of("use a::b; // use crate::x;\n#[cfg(test)]\nmod tests {\n    use crate::y;\n}\nuse c::d;"),
        "use a::b; \nuse c::d;\n"
    );
}
