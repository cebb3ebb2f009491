"""Recommender: embeddings, hybrid CF model (torch), peers, explanations, evaluation."""
