"""Seed 000's Python client code, verbatim but for the placeholder URLs and credentials (set by the tests)."""
# mypy: ignore-errors
# ruff: noqa: S113, RUF013
# fmt: off

import json

import requests

# The guide's placeholders ("https://{your-instance}.fathom.one", "YOUR_CLIENT_ID", ...) point at the test server.
SERVER_URL = ""
CLIENT_ID = ""
CLIENT_SECRET = ""


def get_access_token():
    """
    Obtain an OAuth2 access token using client credentials.
    Returns the access token string.
    """
    # Replace {your-instance} with your actual hostname
    auth_url = f"{SERVER_URL}/oauth2/token"
    auth_headers = {
        "Content-Type": "application/x-www-form-urlencoded",
    }
    data = {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "scope": f"{SERVER_URL}/api/integrations",
    }
    response = requests.post(auth_url, headers=auth_headers, data=data)
    if response.status_code == 200:
        return response.json()['access_token']
    else:
        raise Exception(f"Failed to get token: {response.status_code} - {response.text}")


def make_api_call(access_token: str, query: str, variables: dict):
    """
    Execute a GraphQL query against the Fathom Integration API.
    Args:
    access_token: OAuth2 access token
    query: GraphQL query string
    variables: Dictionary of query variables
    Returns:
    The data response from the API
    """
    # Replace {your-instance} with your actual hostname
    api_url = f"{SERVER_URL}/api/integrations"
    headers = {
        "content-type": "application/json",
        "authorization": f"Bearer {access_token}"
    }
    payload = [
        {
            "variables": variables,
            "query": query,
        }
    ]
    response = requests.post(api_url, headers=headers, json=payload)
    if response.status_code == 200:
        data = json.loads(response.text)[0]
        if "errors" in data:
            print("GraphQL Errors:", data['errors'])
            return None
        return data['data']
    else:
        raise Exception(f"API call failed: {response.status_code} - {response.text}")


class FathomAPIClient:
    def __init__(self, hostname: str, client_id: str, client_secret: str):
        """
        Initialize the Fathom API client.
        Args:
        hostname: Your Fathom instance hostname (e.g., "your-instance")
        client_id: Your OAuth2 client ID
        client_secret: Your OAuth2 client secret
        """
        self.hostname = hostname
        self.client_id = client_id
        self.client_secret = client_secret
        self.base_url = f"https://{hostname}.fathom.one"
        self.access_token = None

    def authenticate(self):
        """Obtain and store an OAuth2 access token."""
        auth_url = f"{self.base_url}/oauth2/token"
        auth_headers = {
            "Content-Type": "application/x-www-form-urlencoded",
        }
        data = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "scope": f"{self.base_url}/api/integrations",
        }
        response = requests.post(auth_url, headers=auth_headers, data=data)
        if response.status_code == 200:
            self.access_token = response.json()['access_token']
            print("✓ Authentication successful")
        else:
            raise Exception(f"Authentication failed: {response.status_code} - {response.text}")

    def query(self, query: str, variables: dict = None):
        """
        Execute a GraphQL query.
        Args:
        query: GraphQL query string
        variables: Optional dictionary of query variables
        Returns:
        The data response from the API
        """
        if not self.access_token:
            self.authenticate()
        api_url = f"{self.base_url}/api/integrations"
        headers = {
            "content-type": "application/json",
            "authorization": f"Bearer {self.access_token}",
        }
        payload = [
            {
                "query": query,
                "variables": variables or {},
            }
        ]
        response = requests.post(api_url, headers=headers, json=payload)
        if response.status_code == 200:
            data = json.loads(response.text)[0]
            if "errors" in data:
                print("GraphQL Errors:", json.dumps(data['errors'], indent=2))
                return None
            return data['data']
        else:
            raise Exception(f"API call failed: {response.status_code} - {response.text}")
