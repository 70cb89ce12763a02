//! `scopelint lsp`: a Language Server Protocol server over a byte stream.
//!
//! The loop runs on one thread and owns the state: the open documents (the
//! overlay of unsaved texts, with their versions), the workspace roots with
//! their configuration, and the last analysis of each root. Analyses run on
//! a worker thread with the same engine as `check` ([`crate::run_with_overlay`]);
//! every change bumps a generation, the worker skips jobs that newer ones
//! replaced, and a result whose generation is not the root's latest is
//! dropped, so diagnostics of an older text never replace newer ones.
//! Requests that need the analysis (code actions, hover, pulled
//! diagnostics) wait for the current one.

mod actions;
mod analysis;
mod diagnostics;
mod hover;
pub mod text;
pub mod transport;

use crate::config;
use crate::knowledge::Knowledge;
use crate::options::Overlay;
use crate::outcome::Outcome;
use analysis::{Analysis, options};
use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::{
    Diagnostic, DidChangeTextDocumentParams, DidChangeWatchedFilesParams,
    DidChangeWorkspaceFoldersParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams,
    DidSaveTextDocumentParams, InitializeParams, PositionEncodingKind, PublishDiagnosticsParams,
    Uri,
};
use serde_json::{Value, json};
use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};
use text::Encoding;

/// One open document.
struct Doc {
    /// As the client spelled it (diagnostics go back under this URI).
    uri: Uri,
    version: i32,
    text: String,
}

/// A workspace folder (or the directory of a file opened outside them).
struct Root {
    path: PathBuf,
    config: config::Loaded,
    /// The configuration file and its errors, shown as diagnostics there.
    config_errors: Option<(PathBuf, Vec<Diagnostic>)>,
    /// The generation of the newest analysis asked for.
    wanted: u64,
    /// The newest analysis received; current when its generation is `wanted`.
    last: Option<Analysis>,
    /// The diagnostics last published, per file.
    published: BTreeMap<PathBuf, Vec<Diagnostic>>,
    /// What was last pushed for each file, as the client shows it: a file
    /// that is not open is sent again only when this changes.
    sent: BTreeMap<PathBuf, Vec<Diagnostic>>,
}

/// Whether `check` could read the file: by its name, or (YAML, JSON, no
/// extension) by its content.
fn may_be_input(path: &Path) -> bool {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    crate::discover::FileKind::of(path).is_some()
        || crate::discover::is_yaml(path)
        || matches!(ext.as_deref(), None | Some("json"))
}

struct Job {
    generation: u64,
    root: PathBuf,
    config: config::Loaded,
    overlay: Overlay,
}

enum Event {
    Client(Message),
    /// An error response to a frame that was no message.
    Invalid(Value),
    Analysed(Box<Analysis>),
    Closed,
}

/// What the client can do, as far as the server cares.
#[derive(Default)]
struct Client {
    document_changes: bool,
    pull: bool,
    watch_registration: bool,
    /// Whether the client pulls again when asked (`workspace/diagnostic/refresh`).
    refresh: bool,
}

struct Server {
    kb: &'static Knowledge,
    out: Sender<Value>,
    jobs: Sender<Job>,
    encoding: Encoding,
    client: Client,
    initialized: bool,
    shutdown: bool,
    generation: u64,
    roots: Vec<Root>,
    docs: BTreeMap<PathBuf, Doc>,
    /// Requests waiting for their root's current analysis.
    waiting: Vec<(PathBuf, Request)>,
    next_request: i32,
}

/// Serves one client on `input`/`output` until `exit` or the end of the
/// input; returns the exit status (0 after `shutdown`, else 1).
pub fn serve(input: impl BufRead + Send + 'static, output: impl Write + Send + 'static) -> i32 {
    let kb = match Knowledge::get() {
        Ok(kb) => kb,
        Err(_) => return 2,
    };
    let (out_tx, out_rx) = channel::<Value>();
    let (events_tx, events_rx) = channel::<Event>();
    let (jobs_tx, jobs_rx) = channel::<Job>();

    let writer = std::thread::spawn(move || {
        let mut output = output;
        for v in out_rx {
            if transport::write(&mut output, &v).is_err() {
                break;
            }
        }
    });
    let reader_events = events_tx.clone();
    std::thread::spawn(move || {
        let mut input = input;
        loop {
            match transport::read(&mut input) {
                Ok(Some(transport::Frame::Message(m))) => {
                    if reader_events.send(Event::Client(m)).is_err() {
                        break;
                    }
                }
                Ok(Some(transport::Frame::Invalid(v))) => {
                    if reader_events.send(Event::Invalid(v)).is_err() {
                        break;
                    }
                }
                Ok(None) | Err(_) => {
                    let _ = reader_events.send(Event::Closed);
                    break;
                }
            }
        }
    });
    let worker_events = events_tx;
    std::thread::spawn(move || work(kb, &jobs_rx, &worker_events));

    let mut server = Server {
        kb,
        out: out_tx,
        jobs: jobs_tx,
        encoding: Encoding::Utf16,
        client: Client::default(),
        initialized: false,
        shutdown: false,
        generation: 0,
        roots: Vec::new(),
        docs: BTreeMap::new(),
        waiting: Vec::new(),
        next_request: 0,
    };
    let code = server.run(&events_rx);
    // The writer ends once what was sent is written; the reader may still
    // wait on input that never comes, and ends with the process.
    drop(server);
    let _ = writer.join();
    code
}

/// The worker: runs the newest job of each root, skipping those replaced
/// while it was busy.
fn work(kb: &'static Knowledge, jobs: &Receiver<Job>, events: &Sender<Event>) {
    // What each root's last analysis may lend the next: an edit parses and
    // evaluates again only the units it changed.
    let mut caches: BTreeMap<PathBuf, crate::AnalysisCache> = BTreeMap::new();
    while let Ok(first) = jobs.recv() {
        let mut newest: BTreeMap<PathBuf, Job> = BTreeMap::new();
        newest.insert(first.root.clone(), first);
        while let Ok(more) = jobs.try_recv() {
            newest.insert(more.root.clone(), more);
        }
        for (_, job) in newest {
            let opts = options(&job.root, &job.config, &job.overlay);
            let cache = caches.entry(job.root.clone()).or_default();
            let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                crate::run_with_cache(&opts, kb, &job.overlay, Some(cache))
            }));
            // A bug in the engine must not leave requests waiting for ever:
            // the analysis becomes one input error.
            let outcome = run.unwrap_or_else(|_| Outcome {
                sources: crate::source::Sources::default(),
                model: crate::model::Model::default(),
                findings: Vec::new(),
                errors: vec![crate::outcome::InputError {
                    file: crate::discover::display_path(&job.root),
                    line: 0,
                    column: 0,
                    message: "internal error: the analysis failed".to_string(),
                    source: None,
                }],
                baseline: None,
                skipped: Vec::new(),
                rules: crate::check::all_rules().collect(),
            });
            let analysis = Analysis {
                generation: job.generation,
                root: job.root,
                config: job.config,
                overlay: job.overlay,
                outcome,
                plan: OnceCell::new(),
            };
            if events.send(Event::Analysed(Box::new(analysis))).is_err() {
                return;
            }
        }
    }
}

impl Server {
    fn run(&mut self, events: &Receiver<Event>) -> i32 {
        while let Ok(event) = events.recv() {
            match event {
                Event::Closed => break,
                Event::Analysed(a) => self.received(*a),
                Event::Invalid(v) => {
                    let _ = self.out.send(v);
                }
                Event::Client(Message::Notification(n)) if n.method == "exit" => {
                    return if self.shutdown { 0 } else { 1 };
                }
                Event::Client(m) => {
                    let id = match &m {
                        Message::Request(r) => Some(r.id.clone()),
                        _ => None,
                    };
                    let handled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        self.message(m);
                    }));
                    if handled.is_err()
                        && let Some(id) = id
                    {
                        self.error(id, ErrorCode::InternalError, "internal error");
                    }
                }
            }
        }
        if self.shutdown { 0 } else { 1 }
    }

    fn send(&self, m: Message) {
        if let Ok(v) = serde_json::to_value(m) {
            let _ = self.out.send(v);
        }
    }

    fn reply(&self, id: RequestId, result: impl serde::Serialize) {
        self.send(Message::Response(Response::new_ok(id, result)));
    }

    fn error(&self, id: RequestId, code: ErrorCode, message: &str) {
        self.send(Message::Response(Response::new_err(
            id,
            code as i32,
            message.to_string(),
        )));
    }

    fn notify(&self, method: &str, params: impl serde::Serialize) {
        self.send(Message::Notification(Notification::new(
            method.to_string(),
            params,
        )));
    }

    fn message(&mut self, m: Message) {
        match m {
            Message::Request(r) => self.request(r),
            Message::Notification(n) => self.notification(n),
            // Answers to the server's own requests (registrations).
            Message::Response(_) => {}
        }
    }

    fn request(&mut self, r: Request) {
        if r.method == "initialize" {
            if self.initialized {
                return self.error(r.id, ErrorCode::InvalidRequest, "already initialized");
            }
            // The protocol names it `workspace.diagnostics`; lsp-types reads
            // `workspace.diagnostic`: take either from the message itself.
            self.client.refresh = ["diagnostics", "diagnostic"].iter().any(|k| {
                r.params
                    .pointer(&format!("/capabilities/workspace/{k}/refreshSupport"))
                    .and_then(Value::as_bool)
                    .unwrap_or(false)
            });
            return match serde_json::from_value::<InitializeParams>(r.params) {
                Ok(p) => {
                    let result = self.initialize(&p);
                    self.reply(r.id, result);
                }
                Err(e) => self.error(r.id, ErrorCode::InvalidParams, &e.to_string()),
            };
        }
        if !self.initialized {
            return self.error(
                r.id,
                ErrorCode::ServerNotInitialized,
                "initialize comes first",
            );
        }
        if self.shutdown {
            return self.error(r.id, ErrorCode::InvalidRequest, "the server is shut down");
        }
        match r.method.as_str() {
            "shutdown" => {
                self.shutdown = true;
                self.reply(r.id, Value::Null);
            }
            "textDocument/codeAction" | "textDocument/hover" | "textDocument/diagnostic" => {
                let Some(path) = r
                    .params
                    .pointer("/textDocument/uri")
                    .and_then(Value::as_str)
                    .and_then(text::uri_path)
                else {
                    return self.error(r.id, ErrorCode::InvalidParams, "no file: textDocument");
                };
                self.waiting.push((path, r));
                self.answer_waiting();
            }
            _ => self.error(
                r.id,
                ErrorCode::MethodNotFound,
                &format!("unknown method {}", r.method),
            ),
        }
    }

    fn initialize(&mut self, p: &InitializeParams) -> Value {
        let caps = &p.capabilities;
        let utf8 = caps
            .general
            .as_ref()
            .and_then(|g| g.position_encodings.as_ref())
            .is_some_and(|list| list.contains(&PositionEncodingKind::UTF8));
        self.encoding = if utf8 {
            Encoding::Utf8
        } else {
            Encoding::Utf16
        };
        self.client.document_changes = caps
            .workspace
            .as_ref()
            .and_then(|w| w.workspace_edit.as_ref())
            .and_then(|e| e.document_changes)
            .unwrap_or(false);
        self.client.pull = caps
            .text_document
            .as_ref()
            .is_some_and(|t| t.diagnostic.is_some());
        self.client.watch_registration = caps
            .workspace
            .as_ref()
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|d| d.dynamic_registration)
            .unwrap_or(false);
        let mut folders: Vec<PathBuf> = p
            .workspace_folders
            .iter()
            .flatten()
            .filter_map(|f| text::uri_path(f.uri.as_str()))
            .collect();
        #[allow(deprecated)]
        if folders.is_empty()
            && let Some(root) = p.root_uri.as_ref().and_then(|u| text::uri_path(u.as_str()))
        {
            folders.push(root);
        }
        for f in folders {
            self.add_root(f);
        }
        self.initialized = true;
        let mut capabilities = json!({
            "positionEncoding": if utf8 { "utf-8" } else { "utf-16" },
            "textDocumentSync": {"openClose": true, "change": 2, "save": {"includeText": true}},
            "codeActionProvider": {"codeActionKinds": ["quickfix", "source.fixAll.scopelint"]},
            "hoverProvider": true,
            "workspace": {"workspaceFolders": {"supported": true, "changeNotifications": true}},
        });
        if self.client.pull
            && let Some(obj) = capabilities.as_object_mut()
        {
            obj.insert(
                "diagnosticProvider".to_string(),
                json!({"identifier": "scopelint", "interFileDependencies": true, "workspaceDiagnostics": false}),
            );
        }
        json!({
            "capabilities": capabilities,
            "serverInfo": {"name": "scopelint", "version": env!("CARGO_PKG_VERSION")},
        })
    }

    fn notification(&mut self, n: Notification) {
        if !self.initialized {
            return;
        }
        match n.method.as_str() {
            "initialized" => self.register_watchers(),
            "textDocument/didOpen" => {
                if let Ok(p) = serde_json::from_value::<DidOpenTextDocumentParams>(n.params) {
                    let d = p.text_document;
                    if let Some(path) = text::uri_path(d.uri.as_str()) {
                        self.docs.insert(
                            path.clone(),
                            Doc {
                                uri: d.uri,
                                version: d.version,
                                text: d.text,
                            },
                        );
                        self.changed(&path);
                    }
                }
            }
            "textDocument/didChange" => {
                if let Ok(p) = serde_json::from_value::<DidChangeTextDocumentParams>(n.params) {
                    let Some(path) = text::uri_path(p.text_document.uri.as_str()) else {
                        return;
                    };
                    let enc = self.encoding;
                    let Some(doc) = self.docs.get_mut(&path) else {
                        return;
                    };
                    for c in p.content_changes {
                        match c.range {
                            Some(range) => text::splice(&mut doc.text, range, &c.text, enc),
                            None => doc.text = c.text,
                        }
                    }
                    doc.version = p.text_document.version;
                    self.changed(&path);
                }
            }
            "textDocument/didSave" => {
                if let Ok(p) = serde_json::from_value::<DidSaveTextDocumentParams>(n.params)
                    && let Some(path) = text::uri_path(p.text_document.uri.as_str())
                {
                    if let (Some(doc), Some(t)) = (self.docs.get_mut(&path), p.text) {
                        doc.text = t;
                    }
                    self.changed(&path);
                }
            }
            "textDocument/didClose" => {
                if let Ok(p) = serde_json::from_value::<DidCloseTextDocumentParams>(n.params)
                    && let Some(path) = text::uri_path(p.text_document.uri.as_str())
                {
                    self.docs.remove(&path);
                    self.changed(&path);
                }
            }
            "workspace/didChangeWatchedFiles" => {
                if let Ok(p) = serde_json::from_value::<DidChangeWatchedFilesParams>(n.params) {
                    self.watched(&p);
                }
            }
            "workspace/didChangeWorkspaceFolders" => {
                if let Ok(p) = serde_json::from_value::<DidChangeWorkspaceFoldersParams>(n.params) {
                    for f in &p.event.removed {
                        if let Some(path) = text::uri_path(f.uri.as_str()) {
                            self.remove_root(&path);
                        }
                    }
                    for f in &p.event.added {
                        if let Some(path) = text::uri_path(f.uri.as_str()) {
                            self.add_root(path);
                        }
                    }
                }
            }
            // Anything else (`$/cancelRequest`, `$/setTrace`, unknown methods): ignored.
            _ => {}
        }
    }

    /// Asks the client to report changes to configuration and input files.
    fn register_watchers(&mut self) {
        if !self.client.watch_registration {
            return;
        }
        self.next_request += 1;
        let params = json!({"registrations": [{
            "id": "scopelint-watch",
            "method": "workspace/didChangeWatchedFiles",
            "registerOptions": {"watchers": [
                {"globPattern": format!("**/{}", config::FILE_NAME)},
                {"globPattern": "**/*.{tf,tofu,tfvars,json,sh,bash,yml,yaml}"},
            ]},
        }]});
        self.send(Message::Request(Request::new(
            RequestId::from(self.next_request),
            "client/registerCapability".to_string(),
            params,
        )));
    }

    /// Files changed on disk: a configuration is reloaded, and every root
    /// that holds a changed file is analysed again.
    fn watched(&mut self, p: &DidChangeWatchedFilesParams) {
        let paths: Vec<PathBuf> = p
            .changes
            .iter()
            .filter_map(|c| text::uri_path(c.uri.as_str()))
            .collect();
        let mut again = BTreeSet::new();
        for path in &paths {
            for (i, root) in self.roots.iter().enumerate() {
                let config_file = path.file_name().is_some_and(|n| n == config::FILE_NAME);
                if path.starts_with(&root.path)
                    || (config_file && root.path.starts_with(path.parent().unwrap_or(path)))
                {
                    again.insert(i);
                }
            }
        }
        for i in again {
            self.load_config(i);
            self.analyse(i);
        }
    }

    fn add_root(&mut self, path: PathBuf) {
        let path = diagnostics::absolute(&path);
        if self.roots.iter().any(|r| r.path == path) {
            return;
        }
        self.roots.push(Root {
            path,
            config: config::Loaded::default(),
            config_errors: None,
            wanted: 0,
            last: None,
            published: BTreeMap::new(),
            sent: BTreeMap::new(),
        });
        let i = self.roots.len() - 1;
        self.load_config(i);
    }

    fn remove_root(&mut self, path: &Path) {
        let Some(i) = self.roots.iter().position(|r| r.path == path) else {
            return;
        };
        let root = self.roots.remove(i);
        let shown: BTreeSet<&PathBuf> = root.published.keys().chain(root.sent.keys()).collect();
        for file in shown {
            self.publish(file, Vec::new());
        }
    }

    /// Loads (again) the configuration of root `i`, as `check` finds it.
    fn load_config(&mut self, i: usize) {
        let kb = self.kb;
        let Some(root) = self.roots.get_mut(i) else {
            return;
        };
        let old = root.config_errors.take();
        root.config = config::Loaded::default();
        let mut shown = None;
        if let Some(file) = config::find(&root.path) {
            match config::load(&file, kb) {
                Ok(loaded) => root.config = loaded,
                Err(errors) => {
                    let text = std::fs::read_to_string(&file).unwrap_or_default();
                    let list = diagnostics::config_errors(&text, &errors, self.encoding);
                    shown = Some((file, list));
                }
            }
        }
        root.config_errors = shown.clone();
        if let Some((file, _)) = old
            && shown.as_ref().is_none_or(|(f, _)| *f != file)
        {
            self.publish(&file, Vec::new());
        }
        if let Some((file, list)) = shown {
            self.publish(&file, list);
        }
    }

    /// The root a file belongs to: the deepest one that holds it, else a
    /// new root at the file's directory.
    fn root_of(&mut self, path: &Path) -> Option<usize> {
        let found = self
            .roots
            .iter()
            .enumerate()
            .filter(|(_, r)| path.starts_with(&r.path))
            .max_by_key(|(_, r)| r.path.components().count())
            .map(|(i, _)| i);
        if found.is_some() {
            return found;
        }
        self.add_root(path.parent()?.to_path_buf());
        self.roots.iter().position(|r| path.starts_with(&r.path))
    }

    /// A document opened, changed, saved or closed: its root is analysed
    /// again when the file may be an input (the configuration file is read
    /// again from disk first).
    fn changed(&mut self, path: &Path) {
        if path.file_name().is_some_and(|n| n == config::FILE_NAME) {
            let dir = path.parent().unwrap_or(path);
            let under: Vec<usize> = (0..self.roots.len())
                .filter(|i| self.roots.get(*i).is_some_and(|r| r.path.starts_with(dir)))
                .collect();
            for i in under {
                self.load_config(i);
                self.analyse(i);
            }
            return;
        }
        if !may_be_input(path) {
            return;
        }
        if let Some(i) = self.root_of(path) {
            self.analyse(i);
        }
    }

    /// Starts an analysis of root `i` over the open documents' texts.
    fn analyse(&mut self, i: usize) {
        self.generation += 1;
        let generation = self.generation;
        let Some(root) = self.roots.get_mut(i) else {
            return;
        };
        root.wanted = generation;
        let overlay: Overlay = self
            .docs
            .iter()
            .filter(|(p, _)| p.starts_with(&root.path))
            .map(|(p, d)| (p.clone(), d.text.clone()))
            .collect();
        let _ = self.jobs.send(Job {
            generation,
            root: root.path.clone(),
            config: root.config.clone(),
            overlay,
        });
    }

    /// An analysis finished: publish it if it is the newest asked for.
    fn received(&mut self, a: Analysis) {
        let enc = self.encoding;
        let Some(i) = self.roots.iter().position(|r| r.path == a.root) else {
            return;
        };
        let Some(root) = self.roots.get_mut(i) else {
            return;
        };
        if a.generation != root.wanted {
            return;
        }
        let mut now = diagnostics::collect(&a.outcome, enc);
        // A parse error in an open document does not clear findings
        // elsewhere: files it leaves without findings keep theirs.
        let broken: BTreeSet<PathBuf> = now
            .iter()
            .filter(|(p, list)| self.docs.contains_key(*p) && list.iter().any(|d| d.code.is_none()))
            .map(|(p, _)| p.clone())
            .collect();
        if !broken.is_empty() {
            for (p, old) in &root.published {
                let findings: Vec<Diagnostic> =
                    old.iter().filter(|d| d.code.is_some()).cloned().collect();
                if !now.contains_key(p) && !broken.contains(p) && !findings.is_empty() {
                    now.insert(p.clone(), findings);
                }
            }
        }
        let mut files: BTreeSet<PathBuf> = now.keys().cloned().collect();
        files.extend(root.published.keys().cloned());
        files.extend(
            self.docs
                .keys()
                .filter(|p| p.starts_with(&root.path))
                .cloned(),
        );
        if let Some((config_file, _)) = &root.config_errors {
            files.remove(config_file);
        }
        root.published = now.clone();
        // The analysis it replaces is dropped after publishing, not before.
        let replaced = root.last.replace(a);
        let mut push = Vec::new();
        for f in files {
            let list = now.remove(&f).unwrap_or_default();
            let open = self.docs.contains_key(&f);
            if open && self.client.pull {
                // A client that pulls gets the open documents' diagnostics by
                // pulling: pushed too, they would show twice, so what was
                // pushed before the document was opened is cleared.
                if root.sent.remove(&f).is_some() {
                    push.push((f, Vec::new()));
                }
                continue;
            }
            // A file no editor shows keeps what it was sent until its
            // diagnostics change: an edit elsewhere does not send it again.
            if !open && root.sent.get(&f).map_or(list.is_empty(), |s| *s == list) {
                continue;
            }
            if list.is_empty() {
                root.sent.remove(&f);
            } else {
                root.sent.insert(f.clone(), list.clone());
            }
            push.push((f, list));
        }
        for (f, list) in push {
            self.publish(&f, list);
        }
        self.answer_waiting();
        drop(replaced);
        if self.client.pull && self.client.refresh {
            self.next_request += 1;
            self.send(Message::Request(Request::new(
                RequestId::from(self.next_request),
                "workspace/diagnostic/refresh".to_string(),
                Value::Null,
            )));
        }
    }

    fn publish(&self, path: &Path, diagnostics: Vec<Diagnostic>) {
        let (uri, version) = match self.docs.get(path) {
            Some(d) => (Some(d.uri.clone()), Some(d.version)),
            None => (diagnostics::uri_of(path), None),
        };
        let Some(uri) = uri else {
            return;
        };
        self.notify(
            "textDocument/publishDiagnostics",
            PublishDiagnosticsParams {
                uri,
                diagnostics,
                version,
            },
        );
    }

    /// The current analysis of the root that holds `path`, if any.
    fn current(&self, path: &Path) -> Option<Result<(&Root, &Analysis), ()>> {
        let root = self
            .roots
            .iter()
            .filter(|r| path.starts_with(&r.path))
            .max_by_key(|r| r.path.components().count())?;
        match &root.last {
            Some(a) if a.generation == root.wanted => Some(Ok((root, a))),
            _ if root.wanted == 0 => None,
            _ => Some(Err(())),
        }
    }

    /// Answers the requests whose analysis is current (or will never be).
    fn answer_waiting(&mut self) {
        let waiting = std::mem::take(&mut self.waiting);
        for (path, r) in waiting {
            match self.current(&path) {
                Some(Err(())) => self.waiting.push((path, r)),
                Some(Ok((root, a))) => self.answer(root, a, &path, r),
                None => self.answer_without(r),
            }
        }
    }

    fn answer_without(&self, r: Request) {
        match r.method.as_str() {
            "textDocument/codeAction" => self.reply(r.id, Vec::<Value>::new()),
            "textDocument/diagnostic" => self.reply(r.id, json!({"kind": "full", "items": []})),
            _ => self.reply(r.id, Value::Null),
        }
    }

    fn answer(&self, root: &Root, a: &Analysis, path: &Path, r: Request) {
        let enc = self.encoding;
        let doc = self.docs.get(path);
        match r.method.as_str() {
            "textDocument/codeAction" => {
                match serde_json::from_value::<lsp_types::CodeActionParams>(r.params) {
                    Ok(p) => {
                        let cx = actions::Context {
                            kb: self.kb,
                            analysis: a,
                            enc,
                            document_changes: self.client.document_changes,
                            version_of: &|p: &Path| self.docs.get(p).map(|d| d.version),
                            uri_of: &|p: &Path| {
                                self.docs
                                    .get(p)
                                    .map(|d| d.uri.clone())
                                    .or_else(|| diagnostics::uri_of(p))
                            },
                        };
                        self.reply(r.id, actions::actions(&cx, path, &p));
                    }
                    Err(e) => self.error(r.id, ErrorCode::InvalidParams, &e.to_string()),
                }
            }
            "textDocument/hover" => {
                match serde_json::from_value::<lsp_types::HoverParams>(r.params) {
                    Ok(p) => {
                        let text = doc.map(|d| d.text.as_str());
                        let h = hover::hover(
                            self.kb,
                            a,
                            path,
                            text,
                            p.text_document_position_params.position,
                            enc,
                        );
                        self.reply(r.id, h);
                    }
                    Err(e) => self.error(r.id, ErrorCode::InvalidParams, &e.to_string()),
                }
            }
            _ => {
                // What push would have published (findings kept past a
                // parse error included).
                let items = root.published.get(path).cloned().unwrap_or_default();
                self.reply(r.id, json!({"kind": "full", "items": items}));
            }
        }
    }
}
