//! The layers of `src/`, enforced: a role never imports another role, the
//! core knows no role and no shared piece, shared pieces know no role, and no
//! two top-level modules import each other, directly or round a cycle.
//! `docs/architecture.md` draws the same picture.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What a top-level module of `src/` is, lowest layer first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Layer {
    /// Knows no role and no shared piece.
    Core,
    /// Owned by no role; may use the core and other shared pieces.
    Shared,
    /// One role; may use the core and the shared pieces, never another role.
    Role,
    /// Wires everything together; may use anything.
    Composition,
}

const LAYERS: &[(&str, Layer)] = &[
    ("domain", Layer::Core),
    ("clock", Layer::Core),
    ("config", Layer::Core),
    ("store", Layer::Core),
    ("wire", Layer::Shared),
    ("web", Layer::Shared),
    ("oauth", Layer::Shared),
    ("faults", Layer::Shared),
    ("inspector", Layer::Shared),
    ("linkcheck", Layer::Shared),
    ("metrics", Layer::Shared),
    ("telemetry", Layer::Shared),
    ("ops", Layer::Shared),
    ("provider", Layer::Role),
    ("api", Layer::Role),
    ("skill", Layer::Role),
    ("alexa", Layer::Role),
    ("admin", Layer::Role),
    ("proxy", Layer::Role),
    ("startup", Layer::Composition),
    ("openapi", Layer::Composition),
    ("cli", Layer::Composition),
    ("commands", Layer::Composition),
    ("testing", Layer::Composition),
];

fn layer_of(module: &str) -> Option<Layer> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

/// One reference from a file to another top-level module.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Import {
    file: String,
    line: usize,
    from: String,
    to: String,
    text: String,
}

/// The module path of a file below `src/` (`provider/token.rs` → `provider::token`).
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" && stem != "main" {
        parts.push(stem.to_owned());
    }
    parts
}

/// The code of a line without its comment (doc comments included).
fn code_of(line: &str) -> &str {
    let trimmed = line.trim_start();
    if trimmed.starts_with("//") {
        return "";
    }
    match line.find(" //") {
        Some(i) => &line[..i],
        None => line,
    }
}

/// Top-level modules a path that starts at `rest` (after `crate::`) names:
/// `a::b` names `a`; `{a::b, c}` names `a` and `c`.
fn heads(rest: &str) -> Vec<String> {
    let rest = rest.trim_start();
    if let Some(group) = rest.strip_prefix('{') {
        let mut depth = 0;
        let mut items = Vec::new();
        let mut current = String::new();
        for c in group.chars() {
            match c {
                '{' => {
                    depth += 1;
                    current.push(c);
                }
                '}' if depth == 0 => break,
                '}' => {
                    depth -= 1;
                    current.push(c);
                }
                ',' if depth == 0 => items.push(std::mem::take(&mut current)),
                _ => current.push(c),
            }
        }
        items.push(current);
        return items
            .iter()
            .filter_map(|i| ident(i.trim()))
            .filter(|i| i != "self")
            .collect();
    }
    ident(rest).into_iter().collect()
}

fn ident(s: &str) -> Option<String> {
    let id: String = s
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!id.is_empty()).then_some(id)
}

/// Every reference of every file below `src` to a top-level module other
/// than its own: `crate::x`, `crate::{x, y}`, and `super::` paths that climb
/// out of the file's top-level module.
fn imports(src: &Path) -> Vec<Import> {
    let mut out = Vec::new();
    for file in rust_files(src) {
        let rel = file.strip_prefix(src).unwrap().to_path_buf();
        let path = module_path(&rel);
        let Some(own) = path.first().cloned() else {
            continue; // lib.rs and main.rs declare the modules
        };
        let text = std::fs::read_to_string(&file).unwrap();
        // A multi-line `use crate::{...}` is read as one statement.
        let joined: Vec<(usize, String)> = join_statements(&text);
        for (line, code) in joined {
            let mut targets = Vec::new();
            for (i, _) in code.match_indices("crate::") {
                let before = code[..i].chars().last();
                if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                    continue; // e.g. `mycrate::`
                }
                targets.extend(heads(&code[i + "crate::".len()..]));
            }
            for (i, _) in code.match_indices("super::") {
                let before = code[..i].chars().last();
                if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
                    continue; // counted with the `super::` that starts the path
                }
                let mut rest = &code[i..];
                let mut up = 0;
                while let Some(r) = rest.strip_prefix("super::") {
                    up += 1;
                    rest = r;
                }
                // `super` of the file's module; a `#[cfg(test)] mod tests`
                // inside it adds one level, which we cannot see: treat
                // `super::` as staying inside the file's own module when it
                // could.
                let depth = path.len();
                if up < depth {
                    continue;
                }
                targets.extend(heads(rest));
            }
            for to in targets {
                if to != own && layer_of(&to).is_some() {
                    out.push(Import {
                        file: format!("src/{}", rel.display()),
                        line,
                        from: own.clone(),
                        to,
                        text: code.trim().chars().take(120).collect(),
                    });
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Lines without comments; a `use` statement spanning lines is joined into
/// one, numbered by its first line.
fn join_statements(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (n, raw) in text.lines().enumerate() {
        let code = code_of(raw);
        if let Some((start, mut acc)) = pending.take() {
            acc.push(' ');
            acc.push_str(code.trim());
            if code.contains(';') {
                out.push((start, acc));
            } else {
                pending = Some((start, acc));
            }
            continue;
        }
        let t = code.trim_start();
        if (t.starts_with("use ") || t.starts_with("pub use ") || t.starts_with("pub(crate) use "))
            && !t.contains(';')
        {
            pending = Some((n + 1, code.to_owned()));
        } else {
            out.push((n + 1, code.to_owned()));
        }
    }
    if let Some(p) = pending {
        out.push(p);
    }
    out
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Everything wrong with the layering of the tree at `src`, one line each.
fn violations(src: &Path) -> Vec<String> {
    let found = imports(src);
    let mut wrong = Vec::new();
    for i in &found {
        let (Some(from), Some(to)) = (layer_of(&i.from), layer_of(&i.to)) else {
            continue;
        };
        let why = match (from, to) {
            (Layer::Role, Layer::Role) => Some("a role imports another role"),
            (Layer::Core, Layer::Core) | (Layer::Composition, _) => None,
            (Layer::Core, _) => Some("the core imports a layer above it"),
            (Layer::Shared, Layer::Role | Layer::Composition) => {
                Some("a shared piece imports a role or the composition")
            }
            (Layer::Role, Layer::Composition) => Some("a role imports the composition"),
            _ => None,
        };
        if let Some(why) = why {
            wrong.push(format!(
                "{}:{}: {why}: {} → {} (`{}`)",
                i.file, i.line, i.from, i.to, i.text
            ));
        }
    }
    for cycle in cycles(&found) {
        wrong.push(format!("import cycle between top-level modules: {cycle}"));
    }
    wrong
}

/// Every cycle in the graph of top-level modules, each named once (with one
/// import that closes it, so the fix is easy to find).
fn cycles(found: &[Import]) -> Vec<String> {
    let mut edges: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for i in found {
        edges.entry(&i.from).or_default().insert(&i.to);
    }
    // Strongly connected components (Tarjan), small graph.
    let nodes: Vec<&str> = LAYERS.iter().map(|(m, _)| *m).collect();
    let mut out = Vec::new();
    let mut seen_in_cycle: BTreeSet<&str> = BTreeSet::new();
    for &start in &nodes {
        if seen_in_cycle.contains(start) {
            continue;
        }
        // The modules reachable from `start` that also reach back to it.
        let reach = |from: &str| -> BTreeSet<String> {
            let mut seen = BTreeSet::new();
            let mut stack = vec![from.to_owned()];
            while let Some(n) = stack.pop() {
                for next in edges.get(n.as_str()).into_iter().flatten() {
                    if seen.insert(next.to_string()) {
                        stack.push(next.to_string());
                    }
                }
            }
            seen
        };
        let forward = reach(start);
        if !forward.contains(start) {
            continue;
        }
        let component: Vec<&str> = nodes
            .iter()
            .copied()
            .filter(|n| *n == start || (forward.contains(*n) && reach(n).contains(start)))
            .collect();
        seen_in_cycle.extend(component.iter().copied());
        let closing = found
            .iter()
            .find(|i| i.to == start && component.contains(&i.from.as_str()))
            .map(|i| format!(" (e.g. {}:{}: `{}`)", i.file, i.line, i.text))
            .unwrap_or_default();
        out.push(format!("{}{closing}", component.join(" ↔ ")));
    }
    out
}

#[test]
fn roles_never_import_each_other_and_layers_only_look_down() {
    // MOCKLINK_ARCH_SRC judges another tree (e.g. an old checkout's src/).
    let src = std::env::var_os("MOCKLINK_ARCH_SRC")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let wrong = violations(&src);
    assert!(
        wrong.is_empty(),
        "the layering of src/ is broken (see docs/architecture.md):\n{}",
        wrong.join("\n")
    );
}

#[test]
fn every_top_level_module_has_a_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    for line in lib.lines() {
        if let Some(name) = line.trim().strip_prefix("pub mod ") {
            let name = name.trim_end_matches(';');
            assert!(
                layer_of(name).is_some(),
                "src/{name}: new top-level module without a layer; add it to LAYERS here and to docs/architecture.md"
            );
        }
    }
}

/// The rule bites: a tree with the imports main had before the layering
/// (a role calling the toolbox, the simulator importing the skill, the core
/// importing a role, a cycle) is refused, naming file and import.
#[test]
fn the_rule_finds_role_imports_core_imports_and_cycles() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    let write = |path: &str, text: &str| {
        let p = src.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write("lib.rs", "pub mod provider;\n");
    write(
        "provider/token.rs",
        "//! uses crate::admin in a comment only\nuse crate::admin::scenarios::before_token;\n",
    );
    write(
        "alexa/talk.rs",
        "use crate::{\n    skill::envelope::*,\n    store::Store,\n};\n",
    );
    write(
        "config.rs",
        "pub x: crate::admin::scenarios::ScenarioSpec,\n",
    );
    write("admin/mod.rs", "use super::provider::keys;\n");
    write("store/mod.rs", "use crate::domain::Username;\n");
    let wrong = violations(src);
    let has = |needle: &str| wrong.iter().any(|w| w.contains(needle));
    assert!(
        has("src/provider/token.rs:2: a role imports another role: provider → admin"),
        "{wrong:#?}"
    );
    assert!(
        has("src/alexa/talk.rs:1: a role imports another role: alexa → skill"),
        "{wrong:#?}"
    );
    assert!(
        has("src/config.rs:1: the core imports a layer above it: config → admin"),
        "{wrong:#?}"
    );
    assert!(
        has("src/admin/mod.rs:1: a role imports another role: admin → provider"),
        "{wrong:#?}"
    );
    assert!(
        has("import cycle between top-level modules: provider ↔ admin"),
        "{wrong:#?}"
    );
    assert!(!has("store → domain"), "core to core is fine: {wrong:#?}");
    assert!(!has("token.rs:1"), "comments are not imports: {wrong:#?}");
}
