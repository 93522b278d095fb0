//! Guards: checks that run before a method (or a topic subscription) and
//! refuse callers who may not use it.
//!
//! A guard is an ordinary function of the [`Context`]: it returns `Ok(())`
//! to let the call through, or the error to answer with; the method body does
//! not run and its params are not decoded. Put one on a method or a whole
//! service with `#[rpc(guard = path)]`, on a router method with
//! [`Method::guarded`](crate::Method::guarded), or on a topic.
//!
//! The helpers follow Django's (as aiohttp-json-rpc does): they read the
//! [`Identity`] of the [session](crate::Context::session) and answer
//! [`NOT_AUTHENTICATED`] (`-32001`) when nobody is logged in, or
//! [`NOT_PERMITTED`] (`-32003`) when the one who is may not.
//!
//! ```
//! use rpc_core::guard::{self, Guard};
//! use rpc_core::{Context, Identity};
//!
//! let admin_only = guard::permission_required("admin");
//! let ctx = Context::new();
//! assert_eq!(admin_only.check(&ctx).unwrap_err().code(), guard::NOT_AUTHENTICATED);
//! ctx.session().set_identity(Identity::new("alice"));
//! assert_eq!(admin_only.check(&ctx).unwrap_err().code(), guard::NOT_PERMITTED);
//! ctx.session().set_identity(Identity::new("root").with_permission("admin"));
//! assert!(admin_only.check(&ctx).is_ok());
//! ```

use std::fmt;
use std::sync::Arc;

use crate::context::Context;
use crate::error::{Error, ErrorCode};
use crate::session::Identity;

/// The caller is not logged in.
pub const NOT_AUTHENTICATED: ErrorCode = ErrorCode::new(-32001);

/// The caller is logged in but lacks a permission.
pub const NOT_PERMITTED: ErrorCode = ErrorCode::new(-32003);

/// A check run before a method or a topic subscription.
///
/// Implemented for every `Fn(&Context) -> Result<(), Error>`, so a plain
/// function is a guard.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot guard an RPC method",
    label = "not a guard",
    note = "a guard is a function of the context, `fn(&rpc_core::Context) -> Result<(), rpc_core::Error>`, or one of `rpc_core::guard`'s helpers such as `guard::login_required` or `guard::permission_required(\"admin\")`"
)]
pub trait Guard: Send + Sync + 'static {
    /// `Ok(())` lets the call through; an error refuses it with that answer.
    fn check(&self, ctx: &Context) -> Result<(), Error>;
}

impl<F> Guard for F
where
    F: Fn(&Context) -> Result<(), Error> + Send + Sync + 'static,
{
    fn check(&self, ctx: &Context) -> Result<(), Error> {
        self(ctx)
    }
}

/// A guard behind a pointer, as methods and topics keep them.
#[derive(Clone)]
pub struct SharedGuard(Arc<dyn Guard>);

impl SharedGuard {
    /// Shares `guard`.
    pub fn new(guard: impl Guard) -> Self {
        Self(Arc::new(guard))
    }

    /// Runs the guard.
    #[inline]
    pub fn check(&self, ctx: &Context) -> Result<(), Error> {
        self.0.check(ctx)
    }
}

impl fmt::Debug for SharedGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedGuard")
    }
}

/// The identity the caller is logged in as, or the `-32001` refusal.
pub fn identity(ctx: &Context) -> Result<Arc<Identity>, Error> {
    ctx.session()
        .identity()
        .ok_or_else(|| Error::new(NOT_AUTHENTICATED, "Not authenticated"))
}

/// Lets through callers who are logged in.
pub fn login_required(ctx: &Context) -> Result<(), Error> {
    identity(ctx).map(drop)
}

/// Lets through callers who are logged in with `permission`.
pub fn permission_required(permission: impl Into<String>) -> impl Guard + Clone {
    let permission: Arc<str> = permission.into().into();
    move |ctx: &Context| {
        if identity(ctx)?.has_permission(&permission) {
            Ok(())
        } else {
            Err(Error::new(NOT_PERMITTED, "Not permitted")
                .with_data(&format!("the permission `{permission}` is required")))
        }
    }
}

/// Lets through callers who are logged in and whose identity passes `test`.
pub fn user_passes_test<F>(test: F) -> impl Guard + Clone
where
    F: Fn(&Identity) -> bool + Clone + Send + Sync + 'static,
{
    move |ctx: &Context| {
        if test(&*identity(ctx)?) {
            Ok(())
        } else {
            Err(Error::new(NOT_PERMITTED, "Not permitted"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers_refuse_with_the_right_codes() {
        let ctx = Context::new();
        assert_eq!(login_required(&ctx).unwrap_err().code(), NOT_AUTHENTICATED);
        let staff = user_passes_test(|user: &Identity| user.user().ends_with("@staff"));
        assert_eq!(staff.check(&ctx).unwrap_err().code(), NOT_AUTHENTICATED);
        ctx.session().set_identity(Identity::new("bob"));
        assert!(login_required(&ctx).is_ok());
        assert_eq!(staff.check(&ctx).unwrap_err().code(), NOT_PERMITTED);
        ctx.session().set_identity(Identity::new("ann@staff"));
        assert!(staff.check(&ctx).is_ok());
        ctx.session().clear_identity();
        assert_eq!(login_required(&ctx).unwrap_err().code(), NOT_AUTHENTICATED);
    }
}
