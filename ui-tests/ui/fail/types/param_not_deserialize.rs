struct Opaque;

struct S;

#[rpc_core::rpc]
impl S {
    fn take(&self, value: Opaque) -> u8 {
        let _ = value;
        1
    }
}

fn main() {}
