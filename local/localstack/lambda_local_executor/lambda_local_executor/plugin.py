"""Registered under LocalStack's executor namespace; selected with LAMBDA_RUNTIME_EXECUTOR=local."""

from localstack.services.lambda_.invocation.plugins import RuntimeExecutorPlugin


class LocalRuntimeExecutorPlugin(RuntimeExecutorPlugin):
    name = "local"

    def load(self, *args, **kwargs):
        # Imported lazily, like the docker plugin: LocalStack loads plugins before its config is final.
        from lambda_local_executor.esm_polling import poll_like_lambda
        from lambda_local_executor.executor import LocalProcessRuntimeExecutor

        poll_like_lambda()  # before any event source mapping starts polling

        return LocalProcessRuntimeExecutor
