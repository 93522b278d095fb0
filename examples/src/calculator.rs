//! The service of the `calculator` example, the main demo (also served
//! in-process by the tests, the explorer's browser test and the command-line
//! client's tests). See `examples/calculator.rs` for the program.

use rpc_core::introspection::{Listing, ServiceInfo};
use rpc_core::{rpc, Error, ErrorInfo, Router, RouterError};
use rpc_http::{Server, ServerHandle};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `math.add` overflowed `i64`.
pub const OVERFLOW: ErrorInfo = ErrorInfo::new(1, "integer overflow");

/// `math.div` was asked to divide by zero.
pub const DIVISION_BY_ZERO: ErrorInfo = ErrorInfo::new(2, "division by zero");

/// A point of the plane.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Point {
    /// Across.
    pub x: f64,
    /// Up.
    pub y: f64,
}

/// A calculator with integer and floating-point operations.
#[derive(Debug)]
pub struct Calculator;

#[rpc(namespace = "math")]
impl Calculator {
    /// Adds two integers; fails on overflow.
    #[rpc(errors = [OVERFLOW])]
    fn add(&self, a: i64, b: i64) -> Result<i64, Error> {
        a.checked_add(b).ok_or_else(|| OVERFLOW.error())
    }

    /// Divides `a` by `b`; fails on a zero divisor (the error's data is `a`).
    #[rpc(errors = [DIVISION_BY_ZERO])]
    async fn div(&self, a: f64, b: f64) -> Result<f64, Error> {
        if b == 0.0 {
            return Err(DIVISION_BY_ZERO.error().with_data(&a));
        }
        Ok(a / b)
    }

    /// Sums any number of values.
    ///
    /// The params are the values themselves: `[1, 2, 3.5]`.
    #[rpc(alias = ["total"])]
    fn sum(&self, #[rpc(flatten)] values: Vec<f64>) -> f64 {
        values.iter().sum()
    }

    /// The point halfway between `from` and `to`.
    fn midpoint(&self, from: Point, to: Point) -> Point {
        Point {
            x: (from.x + to.x) / 2.0,
            y: (from.y + to.y) / 2.0,
        }
    }
}

/// The calculator's router: its methods, `rpc.discover`, and the listing
/// methods of py-jrpc (`list_methods`, `method_help`, `method_signature`)
/// and of XML-RPC (`system.listMethods`, `system.methodHelp`,
/// `system.methodSignature`).
pub fn router() -> Result<Router, RouterError> {
    let mut router = Calculator.into_router();
    router
        .serve_discover(
            ServiceInfo::new("Calculator", env!("CARGO_PKG_VERSION"))
                .description("Integer and floating-point arithmetic, and points of the plane."),
        )?
        .serve_listing(Listing::py_jrpc())?
        .serve_listing(Listing::xml_rpc())?;
    Ok(router)
}

/// Starts the calculator on `addr` (`"127.0.0.1:3000"`, or port 0 for any):
/// the router at `/`, the method explorer at `/explorer`.
pub async fn start(addr: &str) -> Result<ServerHandle, Box<dyn std::error::Error>> {
    let server = Server::bind(addr)
        .mount("/", router()?)
        .explorer("/explorer")
        .start()
        .await?;
    Ok(server)
}
