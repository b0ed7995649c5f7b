"""The API gateway: the only door for web and mobile front ends."""
