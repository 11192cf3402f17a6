from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from coopculture.learning.learners import learner_key_for


@receiver(user_logged_in, dispatch_uid="learning.merge_anonymous_progress")
def merge_anonymous_progress(sender, request, user, **kwargs):
    """What a visitor did before signing in now belongs to their account."""
    from coopculture.learning.services import learning_merge_anonymous

    key = learner_key_for(request, create=False)
    if key is not None:
        learning_merge_anonymous(learner_key=key, user=user)
