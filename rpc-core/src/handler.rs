//! Method entries: synchronous, asynchronous and blocking handlers behind one type.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

use serde::Serialize;

use crate::context::Context;
use crate::error::Error;
use crate::params::Params;

/// A boxed, sendable future; what asynchronous handlers return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where a method's result is written: straight into the response buffer,
/// or nowhere when the call is a notification.
///
/// Generated code and [`Method`] constructors write through it; a handler
/// never sees the rest of the response.
#[derive(Debug)]
pub struct ResultSink<'a> {
    out: Option<&'a mut Vec<u8>>,
}

impl<'a> ResultSink<'a> {
    pub(crate) fn new(out: &'a mut Vec<u8>) -> Self {
        Self { out: Some(out) }
    }

    pub(crate) fn discard() -> Self {
        Self { out: None }
    }

    /// Serializes `value` as the result.
    pub fn write<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        match self.out {
            Some(out) => serde_json::to_writer(out, value).map_err(serialize_failed),
            None => Ok(()),
        }
    }

    /// Writes an `Ok` value as the result, or turns the `Err` into the error answer.
    pub fn write_result<T: Serialize, E: Into<Error>>(
        self,
        result: Result<T, E>,
    ) -> Result<(), Error> {
        match result {
            Ok(value) => self.write(&value),
            Err(err) => Err(err.into()),
        }
    }
}

#[cold]
fn serialize_failed(err: serde_json::Error) -> Error {
    tracing::error!(error = %err, "method result could not be serialized");
    Error::internal_error().with_data("the result could not be serialized")
}

pub(crate) trait SyncHandler: Send + Sync + 'static {
    fn call(&self, params: Params<'_>, ctx: &Context, sink: ResultSink<'_>) -> Result<(), Error>;
}

pub(crate) trait AsyncHandler: Send + Sync + 'static {
    fn call<'a>(
        &'a self,
        params: Params<'a>,
        ctx: &'a Context,
        sink: ResultSink<'a>,
    ) -> BoxFuture<'a, Result<(), Error>>;
}

/// One entry of the method table.
///
/// Built from a closure, then added to a [`Router`](crate::Router) under a
/// name. The router keeps the kind apart: synchronous methods run in place,
/// with no future and no allocation; asynchronous ones are awaited; blocking
/// ones run on the runtime's blocking pool.
#[derive(Clone)]
pub struct Method {
    pub(crate) kind: Kind,
    /// Whether the method may read its [`Context`]; see [`Method::ignores_context`].
    pub(crate) reads_context: bool,
    /// Whether the method decodes its params with serde_json before it does
    /// anything else (guards aside), so that the router may leave checking
    /// them to that decoding (see [`Router::parse`](crate::Router::parse)).
    /// Set for the methods of `#[rpc]`, by the code it generates.
    pub(crate) decodes_params: bool,
}

#[derive(Clone)]
pub(crate) enum Kind {
    Sync(Arc<dyn SyncHandler>),
    Async(Arc<dyn AsyncHandler>),
}

impl fmt::Debug for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            Kind::Sync(_) => "sync",
            Kind::Async(_) => "async",
        };
        f.debug_struct("Method")
            .field("kind", &kind)
            .field("reads_context", &self.reads_context)
            .finish()
    }
}

impl Method {
    /// A method of `kind`, taken to read its context until declared otherwise.
    fn of(kind: Kind) -> Self {
        Self {
            kind,
            reads_context: true,
            decodes_params: false,
        }
    }

    /// A synchronous method.
    ///
    /// ```
    /// use rpc_core::{Context, Error, Method, Params};
    ///
    /// let add = Method::sync(|params: Params<'_>, _: &Context| {
    ///     let (a, b): (i64, i64) = params.decode(&["a", "b"])?;
    ///     Ok::<_, Error>(a + b)
    /// });
    /// ```
    pub fn sync<F, T, E>(f: F) -> Self
    where
        F: Fn(Params<'_>, &Context) -> Result<T, E> + Send + Sync + 'static,
        T: Serialize + 'static,
        E: Into<Error> + 'static,
    {
        Self::of(Kind::Sync(Arc::new(SyncFn(f, PhantomData))))
    }

    /// An asynchronous method. The future may borrow the params and the context.
    ///
    /// ```
    /// use rpc_core::{Context, Error, Method, Params};
    ///
    /// let greet = Method::asynchronous(|params: Params<'_>, ctx: &Context| {
    ///     Box::pin(async move {
    ///         let (name,): (&str,) = params.decode(&["name"])?;
    ///         Ok::<_, Error>(format!("hello {name} from {:?}", ctx.peer_addr()))
    ///     })
    /// });
    /// ```
    pub fn asynchronous<F, T, E>(f: F) -> Self
    where
        F: for<'a> Fn(Params<'a>, &'a Context) -> BoxFuture<'a, Result<T, E>>
            + Send
            + Sync
            + 'static,
        T: Serialize + 'static,
        E: Into<Error> + 'static,
    {
        Self::of(Kind::Async(Arc::new(AsyncFn(f, PhantomData))))
    }

    /// A method that runs on the blocking thread pool of the Tokio runtime,
    /// for CPU-heavy or blocking work. It sees its own copy of the params.
    ///
    /// ```
    /// use rpc_core::{Error, Method, Params};
    ///
    /// let hash = Method::blocking(|params: Params<'_>| {
    ///     let (rounds,): (u32,) = params.decode(&["rounds"])?;
    ///     Ok::<_, Error>((0..rounds).fold(0u64, |h, i| h.rotate_left(5) ^ u64::from(i)))
    /// });
    /// ```
    pub fn blocking<F, T, E>(f: F) -> Self
    where
        F: Fn(Params<'_>) -> Result<T, E> + Send + Sync + 'static,
        T: Serialize + Send + 'static,
        E: Into<Error> + Send + 'static,
    {
        // It is given no context.
        Self::of(Kind::Async(Arc::new(BlockingFn(Arc::new(f), PhantomData)))).ignores_context()
    }

    /// A subscription method: `f` returns the [`Subscription`](crate::Subscription)
    /// to serve, and the method answers with its id; its items follow that
    /// answer as `notification` notifications, on the caller's connection
    /// (over a transport without one, the call is refused). See
    /// [`subscription`](crate::subscription).
    ///
    /// ```
    /// use rpc_core::{Context, Error, Method, Params, Router, Subscription};
    ///
    /// let mut router = Router::new();
    /// router.add("subscribe_count", Method::subscription("count", |params: Params<'_>, _: &Context| {
    ///     let (up_to,): (u32,) = params.decode(&["up_to"])?;
    ///     Ok::<_, Error>(Subscription::new(futures_util::stream::iter(0..up_to)))
    /// }))?;
    /// router.add("unsubscribe_count", Method::unsubscription())?;
    /// # Ok::<(), rpc_core::RouterError>(())
    /// ```
    pub fn subscription<F, T, E>(notification: &'static str, f: F) -> Self
    where
        F: Fn(Params<'_>, &Context) -> Result<crate::Subscription<T>, E> + Send + Sync + 'static,
        T: Serialize + Send + 'static,
        E: Into<Error> + 'static,
    {
        Self::sync(move |params: Params<'_>, ctx: &Context| {
            let subscription = f(params, ctx).map_err(Into::into)?;
            crate::subscription::start(ctx, notification, subscription)
        })
    }

    /// The method that ends a subscription of the caller's connection: its
    /// one param is the subscription id; it answers `true` when it ended
    /// one, `false` for an id that is unknown, ended, or another
    /// connection's.
    pub fn unsubscription() -> Self {
        Self::sync(|params: Params<'_>, ctx: &Context| {
            let (id,): (Box<serde_json::value::RawValue>,) = params.decode(&["subscription"])?;
            Ok::<_, Error>(
                id.get()
                    .parse::<u64>()
                    .is_ok_and(|id| crate::subscription::end(ctx, id)),
            )
        })
    }

    /// A synchronous method that reads shared state; used by generated code.
    #[doc(hidden)]
    pub fn sync_with_state<S, F>(state: Arc<S>, f: F) -> Self
    where
        S: Send + Sync + 'static,
        F: Fn(&S, Params<'_>, &Context, ResultSink<'_>) -> Result<(), Error>
            + Send
            + Sync
            + 'static,
    {
        Self::of(Kind::Sync(Arc::new(StateFn { state, f })))
    }

    /// An asynchronous method whose future may borrow shared state; used by generated code.
    #[doc(hidden)]
    pub fn async_with_state<S, F>(state: Arc<S>, f: F) -> Self
    where
        S: Send + Sync + 'static,
        F: for<'a> Fn(
                &'a S,
                Params<'a>,
                &'a Context,
                ResultSink<'a>,
            ) -> BoxFuture<'a, Result<(), Error>>
            + Send
            + Sync
            + 'static,
    {
        Self::of(Kind::Async(Arc::new(StateFn { state, f })))
    }

    /// The method behind `guard`: the guard runs first, before the params
    /// are decoded, and a refusal is the answer (the method does not run).
    /// Several guards run in the order they were added. A guarded method
    /// reads its context (the guard does).
    ///
    /// ```
    /// use rpc_core::{guard, Context, Error, Identity, Method, Params, Router};
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let mut router = Router::new();
    /// let secret = Method::sync(|_: Params<'_>, _: &Context| Ok::<_, Error>("42"));
    /// router.add("secret", secret.guarded(guard::login_required)).unwrap();
    /// let call = br#"{"jsonrpc":"2.0","method":"secret","id":1}"#;
    ///
    /// let refused = router.handle(call, &Context::new()).await.unwrap();
    /// assert!(String::from_utf8(refused).unwrap().contains("-32001"));
    /// let ctx = Context::new();
    /// ctx.session().set_identity(Identity::new("alice"));
    /// assert_eq!(router.handle(call, &ctx).await.unwrap(), br#"{"jsonrpc":"2.0","result":"42","id":1}"#);
    /// # });
    /// ```
    #[must_use]
    pub fn guarded(self, guard: impl crate::guard::Guard) -> Self {
        let guard = crate::guard::SharedGuard::new(guard);
        let kind = match self.kind {
            Kind::Sync(inner) => Kind::Sync(Arc::new(Guarded { guard, inner })),
            Kind::Async(inner) => Kind::Async(Arc::new(Guarded { guard, inner })),
        };
        Self {
            kind,
            reads_context: true,
            decodes_params: self.decodes_params,
        }
    }

    /// Whether the method runs without a future.
    pub fn is_sync(&self) -> bool {
        matches!(self.kind, Kind::Sync(_))
    }

    /// Declares that the method never reads its [`Context`]. A transport
    /// serving a router whose methods all ignore it need not build one per
    /// message (see [`Router::reads_context`](crate::Router::reads_context)):
    /// the method may then be handed [`Context::empty`], where whatever it
    /// sets is dropped. `#[rpc]` declares it for every method without a
    /// context parameter; [`Method::blocking`] methods never see one.
    ///
    /// ```
    /// use rpc_core::{Context, Error, Method, Params};
    ///
    /// let add = Method::sync(|params: Params<'_>, _: &Context| {
    ///     let (a, b): (i64, i64) = params.decode(&["a", "b"])?;
    ///     Ok::<_, Error>(a + b)
    /// })
    /// .ignores_context();
    /// assert!(!add.reads_context());
    /// ```
    #[must_use]
    pub fn ignores_context(mut self) -> Self {
        self.reads_context = false;
        self
    }

    /// Whether the method may read its [`Context`] (it does unless declared
    /// otherwise with [`ignores_context`](Self::ignores_context)).
    pub fn reads_context(&self) -> bool {
        self.reads_context
    }
}

/// Runs `f` on the Tokio blocking pool and waits for it; a panic in `f`
/// becomes `-32603`. Outside a Tokio runtime `f` runs in place.
pub async fn run_blocking<T, F>(f: F) -> Result<T, Error>
where
    F: FnOnce() -> Result<T, Error> + Send + 'static,
    T: Send + 'static,
{
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return f();
    };
    match runtime.spawn_blocking(f).await {
        Ok(result) => result,
        Err(err) => {
            tracing::error!(error = %err, "blocking method panicked or was cancelled");
            Err(Error::internal_error())
        }
    }
}

struct BlockingFn<F, T, E>(Arc<F>, PhantomData<fn() -> Result<T, E>>);

impl<F, T, E> AsyncHandler for BlockingFn<F, T, E>
where
    F: Fn(Params<'_>) -> Result<T, E> + Send + Sync + 'static,
    T: Serialize + Send + 'static,
    E: Into<Error> + Send + 'static,
{
    fn call<'a>(
        &'a self,
        params: Params<'a>,
        _ctx: &'a Context,
        sink: ResultSink<'a>,
    ) -> BoxFuture<'a, Result<(), Error>> {
        let f = Arc::clone(&self.0);
        // The pool needs `'static` input, so the params are copied once.
        let owned = params.text().map(ToOwned::to_owned);
        Box::pin(async move {
            let value =
                run_blocking(move || f(Params::from_checked(owned.as_deref())).map_err(Into::into))
                    .await?;
            sink.write(&value)
        })
    }
}

struct SyncFn<F, T, E>(F, PhantomData<fn() -> Result<T, E>>);

impl<F, T, E> SyncHandler for SyncFn<F, T, E>
where
    F: Fn(Params<'_>, &Context) -> Result<T, E> + Send + Sync + 'static,
    T: Serialize + 'static,
    E: Into<Error> + 'static,
{
    fn call(&self, params: Params<'_>, ctx: &Context, sink: ResultSink<'_>) -> Result<(), Error> {
        sink.write_result((self.0)(params, ctx))
    }
}

struct AsyncFn<F, T, E>(F, PhantomData<fn() -> Result<T, E>>);

impl<F, T, E> AsyncHandler for AsyncFn<F, T, E>
where
    F: for<'a> Fn(Params<'a>, &'a Context) -> BoxFuture<'a, Result<T, E>> + Send + Sync + 'static,
    T: Serialize + 'static,
    E: Into<Error> + 'static,
{
    fn call<'a>(
        &'a self,
        params: Params<'a>,
        ctx: &'a Context,
        sink: ResultSink<'a>,
    ) -> BoxFuture<'a, Result<(), Error>> {
        let future = (self.0)(params, ctx);
        Box::pin(async move { sink.write_result(future.await) })
    }
}

struct StateFn<S, F> {
    state: Arc<S>,
    f: F,
}

impl<S, F> SyncHandler for StateFn<S, F>
where
    S: Send + Sync + 'static,
    F: Fn(&S, Params<'_>, &Context, ResultSink<'_>) -> Result<(), Error> + Send + Sync + 'static,
{
    fn call(&self, params: Params<'_>, ctx: &Context, sink: ResultSink<'_>) -> Result<(), Error> {
        (self.f)(&self.state, params, ctx, sink)
    }
}

impl<S, F> AsyncHandler for StateFn<S, F>
where
    S: Send + Sync + 'static,
    F: for<'a> Fn(
            &'a S,
            Params<'a>,
            &'a Context,
            ResultSink<'a>,
        ) -> BoxFuture<'a, Result<(), Error>>
        + Send
        + Sync
        + 'static,
{
    fn call<'a>(
        &'a self,
        params: Params<'a>,
        ctx: &'a Context,
        sink: ResultSink<'a>,
    ) -> BoxFuture<'a, Result<(), Error>> {
        (self.f)(&self.state, params, ctx, sink)
    }
}

/// A method behind a guard.
struct Guarded<H: ?Sized> {
    guard: crate::guard::SharedGuard,
    inner: Arc<H>,
}

impl SyncHandler for Guarded<dyn SyncHandler> {
    fn call(&self, params: Params<'_>, ctx: &Context, sink: ResultSink<'_>) -> Result<(), Error> {
        self.guard.check(ctx)?;
        self.inner.call(params, ctx, sink)
    }
}

impl AsyncHandler for Guarded<dyn AsyncHandler> {
    fn call<'a>(
        &'a self,
        params: Params<'a>,
        ctx: &'a Context,
        sink: ResultSink<'a>,
    ) -> BoxFuture<'a, Result<(), Error>> {
        match self.guard.check(ctx) {
            Ok(()) => self.inner.call(params, ctx, sink),
            Err(refused) => Box::pin(std::future::ready(Err(refused))),
        }
    }
}
