int main() {
  return 1; // replaced by the real server in the next commit
}
