"""Fine-tune stage: LoRA on generated speech, merge and export."""
