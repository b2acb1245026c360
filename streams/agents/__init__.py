"""The thin streaming shell: agents do Kafka I/O, batching and routing only."""
