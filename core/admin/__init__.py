"""Moderator tools: roles, member management, broadcasts, analytics + charts, privacy, audit."""
