"""AWS glue shared by the Lambda handlers: message schemas, dispatcher, worker, sandbox client, results."""
