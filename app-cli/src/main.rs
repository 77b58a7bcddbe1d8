fn main() {
    std::process::exit(app_cli::main());
}
