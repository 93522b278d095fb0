use rpc_core::Error;

type Fallible<T> = Result<T, Error>;

struct S;

#[rpc_core::rpc]
impl S {
    fn risky(&self, fail: bool) -> Fallible<u32> {
        if fail {
            Err(Error::internal_error())
        } else {
            Ok(1)
        }
    }
}

fn main() {}
