struct S;

#[rpc_core::rpc]
impl S {
    fn read(&self, path: String) -> std::io::Result<String> {
        std::fs::read_to_string(path)
    }
}

fn main() {}
