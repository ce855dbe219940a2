"""Records every AWS call of this Python process (aws_call_recorder.py) when E2E_AWS_CALLS names a file.

The runtime stage puts this folder first on a container's PYTHONPATH; Python imports
`sitecustomize` at start-up, so the recorder is in place without editing any value of the task
definition. A process without botocore, or without E2E_AWS_CALLS, is left as it was.
"""

import aws_call_recorder

aws_call_recorder.install_when_botocore_loads()
