"""The pure NLP core: text in, enrichment out. No Kafka, no asyncio, no globals."""
