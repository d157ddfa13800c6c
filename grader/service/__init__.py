"""The checking service (``grader serve``): students see their own questions and check and submit
answers over HTTP; the specs, and so the answer key, stay on the server.

course (what a student may do: data in, data out) -> app (FastAPI routes, errors as JSON)
-> server (validate the specs, run uvicorn); store keeps tokens and submissions in the gradebook.
"""
