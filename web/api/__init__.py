"""The JSON API under /api/v1: the route table (routes.py) names every operation, its view
(one module per capability), the request models (schemas.py, queries.py) and the answers
(responses.py); the OpenAPI document (openapi.py) is generated from the same table."""
