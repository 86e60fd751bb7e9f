"""Run LocalStack's Lambda functions as local processes instead of Docker containers."""
