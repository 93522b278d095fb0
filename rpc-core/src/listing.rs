//! The compile-time listing of a service's methods.

/// One method of a service, as the `#[rpc]` attribute lists it in `METHODS`.
///
/// Everything here is `'static` and built in const context, so a listing
/// costs nothing at run time and can be read before any server starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct MethodInfo {
    /// The name callers use, after namespace and rename.
    pub name: &'static str,
    /// Other names the method answers to.
    pub aliases: &'static [&'static str],
    /// The RPC parameters, in positional order (a context parameter is not listed).
    pub params: &'static [ParamInfo],
    /// The success type as written in the source (`()` when there is none).
    pub returns: &'static str,
    /// Whether callers send it as a notification and do not wait for an answer.
    pub notification: bool,
    /// Whether it runs on the blocking thread pool.
    pub blocking: bool,
    /// The doc comment, one line per `///` line, leading space trimmed.
    pub docs: &'static str,
    /// The guards that run before it, as written (`guard::login_required`),
    /// the service's first.
    pub guards: &'static [&'static str],
    /// Set for a subscription method: what its items arrive as, and the method that ends it.
    pub subscription: Option<SubscriptionInfo>,
}

/// What a subscription method's items arrive as, and the method that ends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SubscriptionInfo {
    /// The method name of the notifications that carry its items.
    pub notification: &'static str,
    /// The method that ends a subscription (its one param is the id).
    pub unsubscribe: &'static str,
    /// The item type as written in the source.
    pub item: &'static str,
}

impl SubscriptionInfo {
    /// A subscription entry; used by generated code.
    pub const fn new(
        notification: &'static str,
        unsubscribe: &'static str,
        item: &'static str,
    ) -> Self {
        Self {
            notification,
            unsubscribe,
            item,
        }
    }
}

impl MethodInfo {
    /// A listing entry; used by generated code.
    #[allow(
        clippy::too_many_arguments,
        reason = "a const constructor for generated code, one argument per field"
    )]
    pub const fn new(
        name: &'static str,
        aliases: &'static [&'static str],
        params: &'static [ParamInfo],
        returns: &'static str,
        notification: bool,
        blocking: bool,
        docs: &'static str,
    ) -> Self {
        Self {
            name,
            aliases,
            params,
            returns,
            notification,
            blocking,
            docs,
            guards: &[],
            subscription: None,
        }
    }

    /// The entry with its guards, as written; used by generated code.
    #[must_use]
    pub const fn with_guards(mut self, guards: &'static [&'static str]) -> Self {
        self.guards = guards;
        self
    }

    /// The entry of a subscription method; used by generated code.
    #[must_use]
    pub const fn with_subscription(mut self, subscription: SubscriptionInfo) -> Self {
        self.subscription = Some(subscription);
        self
    }
}

/// One parameter of a method.
///
/// ```
/// use rpc_core::ParamInfo;
///
/// const LIMIT: ParamInfo = ParamInfo::new("limit", "Option<u32>", true);
/// assert!(LIMIT.optional);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParamInfo {
    /// The name used in named (`{"name": ...}`) params.
    pub name: &'static str,
    /// The Rust type as written in the source.
    pub ty: &'static str,
    /// Whether callers may leave it out.
    pub optional: bool,
}

impl ParamInfo {
    /// A parameter entry.
    pub const fn new(name: &'static str, ty: &'static str, optional: bool) -> Self {
        Self { name, ty, optional }
    }
}
