//! From request bytes to response bytes.

use std::any::Any;
use std::cell::Cell;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt, StreamExt};

use crate::context::Context;
use crate::error::{clip, Error, ErrorCode};
use crate::handler::{AsyncHandler, Kind, Method, ResultSink, SyncHandler};
use crate::observer::Observer;
use crate::protocol::{
    params_are_valid, parse_message, write_error, write_id_suffix, DecodesFirst, Entry, Id,
    Message, MessageError, Request, RESULT_PREFIX,
};
use crate::router::Router;

/// An entry with its method looked up.
enum Resolved<'r, 'a> {
    Ready(Ready<'r, 'a>),
    Async(&'r dyn AsyncHandler, Request<'a>),
}

impl<'a> Resolved<'_, 'a> {
    /// The request, when the entry is a well-formed one.
    fn request(&self) -> Option<&Request<'a>> {
        match self {
            Resolved::Ready(Ready::Invalid { .. }) => None,
            Resolved::Ready(Ready::NotFound(request) | Ready::Sync(_, request))
            | Resolved::Async(_, request) => Some(request),
        }
    }

    /// The entry as it was before its method was looked up.
    fn into_entry(self) -> Entry<'a> {
        match self {
            Resolved::Ready(Ready::Invalid { id, reason }) => Entry::Invalid { id, reason },
            Resolved::Ready(Ready::NotFound(request) | Ready::Sync(_, request))
            | Resolved::Async(_, request) => Entry::Valid(request),
        }
    }
}

/// An entry answered without waiting.
enum Ready<'r, 'a> {
    Invalid {
        id: Option<Id<'a>>,
        reason: &'static str,
    },
    NotFound(Request<'a>),
    Sync(&'r dyn SyncHandler, Request<'a>),
}

/// The params text of `request` when it was not checked as the message was
/// read (see [`Router::parse`]).
fn unchecked_params<'a>(request: &Request<'a>) -> Option<&'a str> {
    if request.params_checked() {
        None
    } else {
        request.params().text()
    }
}

/// A message parsed by [`Router::parse`], ready to [`run`](Call::run).
///
/// Transports use the split to see, before running anything, whether the
/// message will be answered at all: a message of only notifications can be
/// acknowledged at once and run in the background.
pub struct Call<'r, 'a> {
    router: &'r Router,
    message: Result<Parsed<'r, 'a>, MessageError>,
    input: &'a [u8],
}

/// A message with the method of a single entry already looked up: the
/// questions asked before running it and the run share one lookup.
enum Parsed<'r, 'a> {
    Single(Resolved<'r, 'a>),
    Batch(Vec<Entry<'a>>),
}

impl fmt::Debug for Call<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("notification_only", &self.is_notification_only())
            .finish_non_exhaustive()
    }
}

impl<'a> Call<'_, 'a> {
    /// Whether running the message produces no answer: a notification, or a
    /// batch of only (well-formed) notifications.
    #[inline]
    pub fn is_notification_only(&self) -> bool {
        match &self.message {
            Ok(Parsed::Single(entry)) => entry.request().is_some_and(Request::is_notification),
            Ok(Parsed::Batch(entries)) => entries
                .iter()
                .all(|entry| matches!(entry, Entry::Valid(request) if request.is_notification())),
            Err(_) => false,
        }
    }

    /// Whether [`run_now`](Self::run_now) runs the message rather than handing
    /// it back: none of its methods is asynchronous.
    #[inline]
    pub fn is_immediate(&self) -> bool {
        match &self.message {
            Ok(Parsed::Single(entry)) => !matches!(entry, Resolved::Async(..)),
            Ok(Parsed::Batch(entries)) => !entries.iter().any(|entry| self.router.waits(entry)),
            Err(_) => true,
        }
    }

    /// The id of a single request (`None` for a batch, a notification or an
    /// unreadable message); what an answer made outside the router, such as a
    /// timeout error, should carry.
    pub fn id(&self) -> Option<&Id<'a>> {
        match &self.message {
            Ok(Parsed::Single(entry)) => entry.request()?.id(),
            _ => None,
        }
    }

    /// Whether the message could be an answer rather than a request: one
    /// object, or a batch of objects, none a well-formed request (an answer
    /// has no `method`). A connection on which both ends call each other
    /// looks closer at these only.
    pub(crate) fn may_be_answer(&self) -> bool {
        match &self.message {
            Ok(Parsed::Single(entry)) => matches!(entry, Resolved::Ready(Ready::Invalid { .. })),
            Ok(Parsed::Batch(entries)) => entries
                .iter()
                .all(|entry| matches!(entry, Entry::Invalid { .. })),
            Err(_) => false,
        }
    }

    /// The method name and raw params of a single notification whose method
    /// the router does not have. Such a message needs no answer; a
    /// connection hands it to whoever listens for it (a client's topic
    /// stream) instead of dropping it.
    pub fn unrouted_notification(&self) -> Option<(&str, Option<&'a str>)> {
        match &self.message {
            Ok(Parsed::Single(Resolved::Ready(Ready::NotFound(request))))
                if request.is_notification() =>
            {
                Some((request.method(), request.params().text()))
            }
            _ => None,
        }
    }

    /// Runs every method of the message; returns the answer, or `None` when
    /// nothing is to be sent. See [`Router::handle`].
    pub async fn run(self, ctx: &Context) -> Option<Vec<u8>> {
        let router = self.router;
        let message = match self.message {
            Ok(message) => message,
            Err(err) => return Some(message_error(err)),
        };
        match message {
            Parsed::Single(entry) => {
                let mut out = Vec::with_capacity(answer_capacity(&entry, self.input.len()));
                let ran = match entry {
                    Resolved::Async(handler, request) => {
                        run_async(handler, request, ctx, router.observer_ref(), &mut out).await
                    }
                    Resolved::Ready(ready) => {
                        run_ready(ready, ctx, router.observer_ref(), &mut out)
                    }
                };
                if ran.is_err() {
                    return Some(router.parse_error(self.input));
                }
                (!out.is_empty()).then_some(out)
            }
            Parsed::Batch(entries) => router.run_batch(entries, ctx, self.input.len()).await,
        }
    }

    /// Runs the message at once when none of its methods is asynchronous (every
    /// answer is then known without waiting), and hands the call back untouched
    /// otherwise, to be awaited with [`run`](Self::run).
    ///
    /// Transports use it to answer synchronous methods without building a
    /// future, a timer or a task for them:
    ///
    /// ```
    /// use rpc_core::{Context, Error, Params, Router};
    ///
    /// let mut router = Router::new();
    /// router.method("ping", |_: Params<'_>, _: &Context| Ok::<_, Error>("pong")).unwrap();
    /// let ctx = Context::new();
    /// let call = router.parse(br#"{"jsonrpc":"2.0","method":"ping","id":1}"#);
    /// let answer = call.run_now(&ctx).expect("`ping` is synchronous");
    /// assert_eq!(answer.unwrap(), br#"{"jsonrpc":"2.0","result":"pong","id":1}"#);
    /// ```
    pub fn run_now(self, ctx: &Context) -> Result<Option<Vec<u8>>, Self> {
        let router = self.router;
        let message = match self.message {
            Ok(message) => message,
            Err(err) => return Ok(Some(message_error(err))),
        };
        match message {
            Parsed::Single(entry) => {
                let capacity = answer_capacity(&entry, self.input.len());
                match entry {
                    Resolved::Ready(ready) => {
                        let mut out = Vec::with_capacity(capacity);
                        if run_ready(ready, ctx, router.observer_ref(), &mut out).is_err() {
                            return Ok(Some(router.parse_error(self.input)));
                        }
                        Ok((!out.is_empty()).then_some(out))
                    }
                    // Handed back looked up: running it later needs no second lookup.
                    waiting @ Resolved::Async(..) => Err(Call {
                        router,
                        message: Ok(Parsed::Single(waiting)),
                        input: self.input,
                    }),
                }
            }
            Parsed::Batch(entries) => {
                // Every method is looked up once, before any runs; should one
                // wait, the lookups are undone and the batch handed back (to
                // be looked up again when it runs: the rarer case pays).
                let resolved: Vec<Resolved<'_, 'a>> = entries
                    .into_iter()
                    .map(|entry| router.resolve(entry, None))
                    .collect();
                if resolved
                    .iter()
                    .any(|entry| matches!(entry, Resolved::Async(..)))
                {
                    let entries = resolved.into_iter().map(Resolved::into_entry).collect();
                    return Err(Call {
                        router,
                        message: Ok(Parsed::Batch(entries)),
                        input: self.input,
                    });
                }
                let mut out = batch_buffer(resolved.len(), self.input.len());
                for entry in resolved {
                    match entry {
                        Resolved::Ready(ready) => append(&mut out, |out| {
                            let _ = run_ready(ready, ctx, router.observer_ref(), out);
                        }),
                        Resolved::Async(..) => unreachable!("checked above: no entry waits"),
                    }
                }
                Ok(close_batch(out))
            }
        }
    }
}

/// The answer to a message that could not be read at all.
fn message_error(err: MessageError) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    write_error(&mut out, &err.into_error(), None);
    out
}

/// The room to reserve for the answer to a single entry.
fn answer_capacity(entry: &Resolved<'_, '_>, input_len: usize) -> usize {
    // Answers tend to be about as long as questions; this spares regrowth.
    // A notification gets no answer, so no buffer.
    if entry.request().is_some_and(Request::is_notification) {
        0
    } else {
        input_len + 64
    }
}

/// The buffer for a batch answer, opened.
fn batch_buffer(entries: usize, input_len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(input_len + 16 * entries);
    out.push(b'[');
    out
}

/// Closes a batch answer; a batch of only notifications has none.
fn close_batch(mut out: Vec<u8>) -> Option<Vec<u8>> {
    if out.len() == 1 {
        return None;
    }
    out.push(b']');
    Some(out)
}

impl Router {
    /// Answers one message: a request, a notification or a batch.
    ///
    /// Returns the response bytes, or `None` when nothing is to be sent (a
    /// notification, or a batch of only notifications). Bad input never
    /// panics: it gets the error object the specification prescribes. A
    /// panicking method gets `-32603` and a `tracing` error line.
    ///
    /// Batch entries run concurrently, up to
    /// [`Limits::batch_concurrency`](crate::Limits::batch_concurrency) at a
    /// time, and their responses keep the order of the requests.
    pub async fn handle(&self, input: &[u8], ctx: &Context) -> Option<Vec<u8>> {
        self.parse(input).run(ctx).await
    }

    /// Parses a message without running it; see [`Call`].
    ///
    /// A single request's `params` are not checked as the message is read:
    /// a method of `#[rpc]` decodes them before it does anything, and
    /// decoding reads every byte of them with serde_json. When that fails,
    /// or the method answers an error, they are checked then, and text that
    /// is not JSON is answered with the parse error (`-32700`) the parser
    /// would have given: the same answer, with no method body run, and one
    /// pass over the params instead of two. Everything else (a notification,
    /// an unknown method, a method added by hand, which may read the text
    /// itself) has them checked here, before anything runs; so do batches.
    pub fn parse<'a>(&self, input: &'a [u8]) -> Call<'_, 'a> {
        self.parse_with(input, true)
    }

    /// [`parse`](Self::parse), leaving a single request's params unchecked
    /// for the methods that decode them first, or not.
    pub(crate) fn parse_with<'a>(&self, input: &'a [u8], defer_params: bool) -> Call<'_, 'a> {
        // The scanner names the method before its params: the method found
        // then is kept for `resolve`, so that a request costs one look-up.
        let looked_up = Cell::new(None);
        let decodes_first = |name: &str| {
            let method = self.methods.get(name);
            looked_up.set(Some(LookedUp::of(name, method)));
            method.is_some_and(|method| method.decodes_params)
        };
        let message = self
            .read(
                input,
                defer_params.then_some(&decodes_first as &dyn Fn(&str) -> bool),
            )
            .map(|message| match message {
                Message::Single(entry) => Parsed::Single(self.resolve(entry, looked_up.get())),
                Message::Batch(entries) => Parsed::Batch(entries),
            });
        Call {
            router: self,
            message,
            input,
        }
    }

    /// The answer to `input` once its unchecked params proved not to be
    /// JSON: what the parser says when it checks them.
    #[cold]
    fn parse_error(&self, input: &[u8]) -> Vec<u8> {
        let err = self
            .read(input, None)
            .err()
            .unwrap_or_else(|| MessageError::Parse("`params` are not valid JSON".to_owned()));
        message_error(err)
    }

    /// Reads `input` under the router's limits and options.
    fn read<'a>(
        &self,
        input: &'a [u8],
        decodes_first: DecodesFirst<'_>,
    ) -> Result<Message<'a>, MessageError> {
        parse_message(
            input,
            self.limits.max_batch_len(),
            self.limits.max_depth(),
            &self.bare_params,
            decodes_first,
        )
    }

    /// Whether answering `entry` means waiting for an asynchronous method.
    fn waits(&self, entry: &Entry<'_>) -> bool {
        let Entry::Valid(request) = entry else {
            return false;
        };
        self.methods
            .get(request.method())
            .is_some_and(|method| matches!(method.kind, Kind::Async(_)))
    }

    fn observer_ref(&self) -> Option<&dyn Observer> {
        self.observer.as_deref()
    }

    /// What `entry` asks to run; `looked_up`, the method found for its
    /// name while it was read, if it was.
    #[inline]
    fn resolve<'r, 'a>(
        &'r self,
        entry: Entry<'a>,
        looked_up: Option<LookedUp<'r>>,
    ) -> Resolved<'r, 'a> {
        let request = match entry {
            Entry::Valid(request) => request,
            Entry::Invalid { id, reason } => return Resolved::Ready(Ready::Invalid { id, reason }),
        };
        let name = request.method();
        let method = match looked_up {
            Some(looked_up) if looked_up.is_for(name) => looked_up.method,
            _ => self.methods.get(name),
        };
        match method {
            None => Resolved::Ready(Ready::NotFound(request)),
            Some(method) => match &method.kind {
                Kind::Sync(handler) => Resolved::Ready(Ready::Sync(&**handler, request)),
                Kind::Async(handler) => Resolved::Async(&**handler, request),
            },
        }
    }

    async fn run_batch(
        &self,
        entries: Vec<Entry<'_>>,
        ctx: &Context,
        input_len: usize,
    ) -> Option<Vec<u8>> {
        let mut out = batch_buffer(entries.len(), input_len);
        let mut resolved = entries.into_iter().map(|entry| self.resolve(entry, None));

        // Until the first asynchronous entry, answers go straight into `out`, in order.
        let mut first_async = None;
        for entry in resolved.by_ref() {
            match entry {
                Resolved::Ready(ready) => append(&mut out, |out| {
                    let _ = run_ready(ready, ctx, self.observer_ref(), out);
                }),
                Resolved::Async(..) => {
                    first_async = Some(entry);
                    break;
                }
            }
        }

        // From there on entries run concurrently, each into its own slot, joined in order.
        if let Some(first) = first_async {
            let rest: Vec<Resolved<'_, '_>> = std::iter::once(first).chain(resolved).collect();
            let mut slots: Vec<Vec<u8>> =
                std::iter::repeat_with(Vec::new).take(rest.len()).collect();
            let mut work = rest.into_iter().zip(slots.iter_mut());
            let mut running = FuturesUnordered::new();
            loop {
                while running.len() < self.limits.batch_concurrency() {
                    let Some((entry, slot)) = work.next() else {
                        break;
                    };
                    running.push(run_entry(entry, ctx, self.observer_ref(), slot));
                }
                if running.next().await.is_none() {
                    break;
                }
            }
            drop(running);
            for slot in &slots {
                append(&mut out, |out| out.extend_from_slice(slot));
            }
        }

        close_batch(out)
    }
}

/// A method looked up by name while a request was read: the name is known
/// by where it lies in the input (the request keeps that very slice), so a
/// name rewritten from escapes is looked up again rather than mistaken.
#[derive(Clone, Copy)]
struct LookedUp<'r> {
    name_at: *const u8,
    name_len: usize,
    method: Option<&'r Method>,
}

impl<'r> LookedUp<'r> {
    fn of(name: &str, method: Option<&'r Method>) -> Self {
        Self {
            name_at: name.as_ptr(),
            name_len: name.len(),
            method,
        }
    }

    fn is_for(&self, name: &str) -> bool {
        std::ptr::eq(self.name_at, name.as_ptr()) && self.name_len == name.len()
    }
}

/// Appends one batch answer, with a comma when it is not the first; nothing if `write` writes nothing.
fn append(out: &mut Vec<u8>, write: impl FnOnce(&mut Vec<u8>)) {
    let mark = out.len();
    if mark > 1 {
        out.push(b',');
    }
    let start = out.len();
    write(out);
    if out.len() == start {
        out.truncate(mark);
    }
}

async fn run_entry(
    entry: Resolved<'_, '_>,
    ctx: &Context,
    observer: Option<&dyn Observer>,
    out: &mut Vec<u8>,
) {
    // Batch entries' params are always checked: never unreadable here.
    let _ = match entry {
        Resolved::Async(handler, request) => run_async(handler, request, ctx, observer, out).await,
        Resolved::Ready(ready) => run_ready(ready, ctx, observer, out),
    };
}

/// Answers an entry that needs no waiting: invalid, unknown method, or synchronous.
/// Returns [`Unreadable`] when the entry's unchecked params proved not to
/// be JSON: nothing is reported, and the caller answers the parse error.
#[inline]
fn run_ready(
    entry: Ready<'_, '_>,
    ctx: &Context,
    observer: Option<&dyn Observer>,
    out: &mut Vec<u8>,
) -> Result<(), Unreadable> {
    match entry {
        Ready::Invalid { id, reason } => {
            write_error(
                out,
                &Error::invalid_request().with_data(reason),
                id.as_ref(),
            );
            Ok(())
        }
        Ready::NotFound(request) => {
            if let Some(id) = request.id() {
                let error = Error::method_not_found()
                    .with_data(&format!("no method named `{}`", clip(request.method())));
                write_error(out, &error, Some(id));
            }
            Ok(())
        }
        Ready::Sync(handler, request) => {
            let started = observer.map(|_| Instant::now());
            let start = out.len();
            let sink = open(&request, out);
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                handler.call(request.params(), ctx, sink)
            }));
            let error = close(&request, outcome, start, out);
            readable(&request, error)?;
            report(observer, started, &request, error);
            Ok(())
        }
    }
}

/// A request whose unchecked params proved not to be JSON: the message is
/// answered with the parse error the parser would have given.
struct Unreadable;

/// After a call that met `error`: `Unreadable` when the request's params
/// were left unchecked and are not JSON. A call that succeeded decoded
/// them, which proves them valid.
#[inline]
fn readable(request: &Request<'_>, error: Option<ErrorCode>) -> Result<(), Unreadable> {
    match unchecked_params(request) {
        Some(text) if error.is_some() && !params_are_valid(text) => Err(Unreadable),
        _ => Ok(()),
    }
}

async fn run_async(
    handler: &dyn AsyncHandler,
    request: Request<'_>,
    ctx: &Context,
    observer: Option<&dyn Observer>,
    out: &mut Vec<u8>,
) -> Result<(), Unreadable> {
    let started = observer.map(|_| Instant::now());
    let start = out.len();
    let sink = open(&request, out);
    let params = request.params();
    // Building the future runs user code too (argument decoding), so it is guarded as well.
    let outcome = match catch_unwind(AssertUnwindSafe(|| handler.call(params, ctx, sink))) {
        Ok(future) => AssertUnwindSafe(future).catch_unwind().await,
        Err(panic) => Err(panic),
    };
    let error = close(&request, outcome, start, out);
    readable(&request, error)?;
    report(observer, started, &request, error);
    Ok(())
}

fn report(
    observer: Option<&dyn Observer>,
    started: Option<Instant>,
    request: &Request<'_>,
    error: Option<ErrorCode>,
) {
    if let (Some(observer), Some(started)) = (observer, started) {
        // The answer is written already: a panicking observer must not take
        // it (or the connection, or the rest of a batch) down with it.
        let elapsed = started.elapsed();
        let method = request.method();
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| {
            observer.on_call(method, elapsed, error);
        })) {
            observer_panicked(method, &*panic);
        }
    }
}

#[cold]
fn observer_panicked(method: &str, panic: &(dyn Any + Send)) {
    tracing::error!(
        method,
        panic = panic_message(panic),
        "the router's observer panicked; the call was answered"
    );
}

fn panic_message(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

/// Starts a success answer and hands out where the result goes.
#[inline]
fn open<'o>(request: &Request<'_>, out: &'o mut Vec<u8>) -> ResultSink<'o> {
    if request.is_notification() {
        ResultSink::discard()
    } else {
        out.extend_from_slice(RESULT_PREFIX);
        ResultSink::new(out)
    }
}

/// Finishes the answer: closes the success, or replaces it with the error.
/// Returns the error code answered, if any.
#[inline]
fn close(
    request: &Request<'_>,
    outcome: Result<Result<(), Error>, Box<dyn Any + Send>>,
    start: usize,
    out: &mut Vec<u8>,
) -> Option<ErrorCode> {
    let error = match outcome {
        Ok(Ok(())) => None,
        Ok(Err(error)) => Some(error),
        Err(panic) => Some(panicked(request.method(), &*panic)),
    };
    let code = error.as_ref().map(Error::code);
    if let Some(id) = request.id() {
        match error {
            None => write_id_suffix(out, id),
            Some(error) => {
                out.truncate(start);
                write_error(out, &error, Some(id));
            }
        }
    }
    code
}

#[cold]
fn panicked(method: &str, panic: &(dyn Any + Send)) -> Error {
    tracing::error!(
        method,
        panic = panic_message(panic),
        "method panicked; answered with -32603"
    );
    Error::internal_error()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::Params;

    /// Counts its calls, then panics.
    struct Panicking(AtomicUsize);

    impl Observer for Panicking {
        fn on_call(&self, _: &str, _: Duration, _: Option<ErrorCode>) {
            self.0.fetch_add(1, Ordering::SeqCst);
            panic!("observer panic");
        }
    }

    #[test]
    fn a_panicking_observer_does_not_take_the_answer_with_it() {
        let observer = Arc::new(Panicking(AtomicUsize::new(0)));
        let mut router = Router::new();
        router
            .method("one", |_: Params<'_>, _: &Context| Ok::<_, Error>(1))
            .unwrap()
            .async_method("two", |_: Params<'_>, _: &Context| {
                Box::pin(async { Ok::<_, Error>(2) })
            })
            .unwrap();
        router.set_observer(observer.clone());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let ctx = Context::new();
        let answer = |input: &str| {
            let answer = runtime.block_on(router.handle(input.as_bytes(), &ctx));
            String::from_utf8(answer.unwrap()).unwrap()
        };
        assert_eq!(
            answer(r#"{"jsonrpc":"2.0","method":"one","id":1}"#),
            r#"{"jsonrpc":"2.0","result":1,"id":1}"#
        );
        assert_eq!(
            answer(r#"{"jsonrpc":"2.0","method":"two","id":2}"#),
            r#"{"jsonrpc":"2.0","result":2,"id":2}"#
        );
        assert_eq!(
            answer(
                r#"[{"jsonrpc":"2.0","method":"two","id":3},{"jsonrpc":"2.0","method":"one","id":4}]"#
            ),
            r#"[{"jsonrpc":"2.0","result":2,"id":3},{"jsonrpc":"2.0","result":1,"id":4}]"#
        );
        assert_eq!(observer.0.load(Ordering::SeqCst), 4);
    }
}
