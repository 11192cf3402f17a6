import io

from django.core.mail import EmailMultiAlternatives

from coopculture.core.mail_backends import ReadableConsoleBackend


def test_the_demo_console_shows_the_decoded_french_text():
    stream = io.StringIO()
    backend = ReadableConsoleBackend(alias="default", stream=stream)
    message = EmailMultiAlternatives(
        "Votre code de connexion", "Voici votre code : 123456\n", "a@example.org", ["b@example.org"]
    )
    message.attach_alternative("<p>html</p>", "text/html")
    assert backend.send_messages([message]) == 1
    output = stream.getvalue()
    assert "Votre code de connexion" in output
    assert "Voici votre code : 123456" in output
    assert "b@example.org" in output
