"""Actor tables' pure core: window arithmetic, fan-out, exact counting, spikes, queries.

No Kafka, no asyncio: ``streams.agents.mentions`` moves the bytes.
"""
