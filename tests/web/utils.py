"""Helpers for the page tests."""

from django.test import Client


def english_client() -> Client:
    """A browser asking for English, so that assertions can quote the English msgids."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def logged_in(user) -> Client:
    client = english_client()
    client.force_login(user)
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []
