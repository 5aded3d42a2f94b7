"""Training the paper's model families: data, the reverse-sequence task, the loop, and ``train`` itself."""
