"""Natural-language understanding: which language, which intent, how sure.

Results have the shape of Rasa's ``/model/parse`` response plus ``language {code, confidence}``.
"""
