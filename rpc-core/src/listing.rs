//! The compile-time listing of a service's methods.

use crate::error::{Error, ErrorCode};
use crate::type_schema::TypeSchema;

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
    /// The JSON Schema of the success type (with the `schemars` feature).
    pub result_schema: TypeSchema,
    /// The errors the method declares it may answer with (`#[rpc(errors = [..])]`).
    pub errors: &'static [ErrorInfo],
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
    /// The JSON Schema of the item type (with the `schemars` feature).
    pub item_schema: TypeSchema,
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
            item_schema: TypeSchema::NONE,
        }
    }

    /// The entry with the item type's schema; used by generated code.
    #[must_use]
    pub const fn with_item_schema(mut self, schema: TypeSchema) -> Self {
        self.item_schema = schema;
        self
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
            result_schema: TypeSchema::NONE,
            errors: &[],
        }
    }

    /// The entry with the success type's schema; used by generated code.
    #[must_use]
    pub const fn with_result_schema(mut self, schema: TypeSchema) -> Self {
        self.result_schema = schema;
        self
    }

    /// The entry with the errors the method declares.
    ///
    /// ```
    /// use rpc_core::{ErrorInfo, MethodInfo};
    ///
    /// const OVERFLOW: ErrorInfo = ErrorInfo::new(1, "integer overflow");
    /// const ADD: MethodInfo = MethodInfo::new("add", &[], &[], "i64", false, false, "Adds.")
    ///     .with_errors(&[OVERFLOW]);
    /// assert_eq!(ADD.errors[0].code.code(), 1);
    /// ```
    #[must_use]
    pub const fn with_errors(mut self, errors: &'static [ErrorInfo]) -> Self {
        self.errors = errors;
        self
    }

    /// The first paragraph of the doc comment, joined into one line: what
    /// the method does, in short (empty when it has no docs).
    ///
    /// ```
    /// use rpc_core::MethodInfo;
    ///
    /// let info = MethodInfo::new("add", &[], &[], "i64", false, false, "Adds two\nintegers.\n\nFails on overflow.");
    /// assert_eq!(info.summary(), "Adds two integers.");
    /// ```
    pub fn summary(&self) -> String {
        self.docs
            .lines()
            .map(str::trim)
            .take_while(|line| !line.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
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
    /// Whether it takes the whole `params` member (`#[rpc(flatten)]`): a
    /// list of any length, or an object, rather than one entry of it.
    pub flatten: bool,
    /// The JSON Schema of its type (with the `schemars` feature).
    pub schema: TypeSchema,
}

impl ParamInfo {
    /// A parameter entry.
    pub const fn new(name: &'static str, ty: &'static str, optional: bool) -> Self {
        Self {
            name,
            ty,
            optional,
            flatten: false,
            schema: TypeSchema::NONE,
        }
    }

    /// The entry of a parameter that takes the whole `params` member.
    #[must_use]
    pub const fn flattened(mut self) -> Self {
        self.flatten = true;
        self
    }

    /// The entry with its type's schema; used by generated code.
    #[must_use]
    pub const fn with_schema(mut self, schema: TypeSchema) -> Self {
        self.schema = schema;
        self
    }
}

/// An error a method declares it may answer with: its code and message,
/// listed by `rpc.discover`.
///
/// Keep one as a `const`, name it in `#[rpc(errors = [..])]`, and build the
/// error from it where the method fails, so the listing and the answer
/// cannot drift apart:
///
/// ```
/// use rpc_core::{Error, ErrorInfo};
///
/// const DIVISION_BY_ZERO: ErrorInfo = ErrorInfo::new(2, "division by zero");
///
/// let error: Error = DIVISION_BY_ZERO.into();
/// assert_eq!((error.code().code(), error.message()), (2, "division by zero"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ErrorInfo {
    /// The error code.
    pub code: ErrorCode,
    /// The error message.
    pub message: &'static str,
}

impl ErrorInfo {
    /// An error of `code` with `message`.
    pub const fn new(code: i32, message: &'static str) -> Self {
        Self {
            code: ErrorCode::new(code),
            message,
        }
    }

    /// The error object, to answer with (add data with [`Error::with_data`]).
    pub fn error(&self) -> Error {
        Error::new(self.code, self.message)
    }
}

impl From<ErrorInfo> for Error {
    fn from(info: ErrorInfo) -> Self {
        info.error()
    }
}
